import { compareMetric, evaluateInterval, hardThresholdsFromPolicy, scoreCanary, type IntervalVerdict, type MetricComparison, type MetricSpec } from "../../lib/canary";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { CohortSeries, MetricPoint } from "../targets/types";

/**
 * What the canary and the staging comparison judge, and how much worse is tolerated: latency
 * (p99 per metric point) may rise 20%, the error rate 50% of the baseline's or 0.2 points,
 * whichever is more. Both are critical: either failing fails the analysis.
 */
export const canaryMetrics: { spec: MetricSpec; value: (p: MetricPoint) => number }[] = [
  { spec: { name: "p99_latency_ms", unit: "ms", direction: "increase_is_bad", tolerance: 0.2, critical: true }, value: (p) => p.p99Ms },
  { spec: { name: "error_rate", unit: "%", direction: "increase_is_bad", tolerance: 0.5, minAllowedShift: 0.2, critical: true }, value: (p) => p.errorRate },
];

/** Staging runs on smaller machines: its latency is divided by the factor before comparing. */
export function adjustForStaging(series: CohortSeries, factor: number): CohortSeries {
  return { ...series, canary: series.canary.map((p) => ({ ...p, p99Ms: p.p99Ms / factor })) };
}

/** Candidate vs baseline, metric by metric, with the aggregate score: the staging/validation judgement. */
export function compareCohorts(series: CohortSeries): { metrics: MetricComparison[]; score: ReturnType<typeof scoreCanary> } {
  const metrics = canaryMetrics.map(({ spec, value }) => compareMetric(spec, { baseline: series.baseline.map(value), candidate: series.canary.map(value) }));
  return { metrics, score: scoreCanary(metrics) };
}

/** One line per metric with its verdict and the numbers that decided it. */
export function describeComparison(metrics: MetricComparison[]): string {
  return metrics.map((m) => `${m.name} ${m.verdict.replace("_", " ")}: ${m.reason}`).join("; ");
}

const errorsOf = (points: MetricPoint[]) => points.reduce((sum, p) => sum + Math.round((p.errorRate / 100) * p.requests), 0);
const requestsOf = (points: MetricPoint[]) => points.reduce((sum, p) => sum + p.requests, 0);
const worstP99 = (points: MetricPoint[]) => (points.length === 0 ? null : Math.max(...points.map((p) => p.p99Ms)));

/**
 * One canary interval: hard thresholds on the traffic the canary has served since it started
 * (a 5% canary serves too few requests per interval to judge a rate on its own) and the latest
 * interval's worst p99, plus the statistical comparison of every point so far.
 */
export function evaluateCanaryInterval(input: {
  series: CohortSeries;
  latest: CohortSeries;
  policy: PolicyRules;
  at: Date;
  interval: { index: number; startedAt: Date; endedAt: Date };
}): IntervalVerdict {
  const { series, latest } = input;
  return evaluateInterval({
    at: input.at.toISOString(),
    interval: { index: input.interval.index, startedAt: input.interval.startedAt.toISOString(), endedAt: input.interval.endedAt.toISOString() },
    traffic: {
      canary: { requests: requestsOf(series.canary), errors: errorsOf(series.canary), p99LatencyMs: worstP99(latest.canary) },
      baseline: { requests: requestsOf(series.baseline), errors: errorsOf(series.baseline), p99LatencyMs: worstP99(latest.baseline) },
    },
    metrics: canaryMetrics.map(({ spec, value }) => ({ spec, baseline: series.baseline.map(value), candidate: series.canary.map(value) })),
    thresholds: hardThresholdsFromPolicy(input.policy.deployment),
  });
}
