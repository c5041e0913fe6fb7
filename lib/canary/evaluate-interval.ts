/**
 * One canary evaluation interval: the hard thresholds and the statistical comparison against
 * the baseline, combined into one verdict object (see verdict-schema.ts for its JSON shape).
 * Pure: the caller passes the time, and the same input always gives the same verdict.
 */
import { DEFAULT_SCORE_THRESHOLDS, scoreCanary } from "./canary-score";
import { compareMetric, type ComparisonOptions, type MetricSamples, type MetricSpec } from "./compare-metric";
import { formatMeasure, formatNumber, formatShift } from "./format";
import { checkHardThresholds, type CohortTraffic, type HardThresholds } from "./thresholds";
import type {
  CanaryScore,
  CanaryVerdict,
  HardThresholdResult,
  IntervalVerdict,
  MetricComparison,
  RollbackDecision,
  ScoreThresholds,
  TrafficSummary,
} from "./verdict-schema";

export interface IntervalInput {
  /** When the interval is judged (ISO 8601): stamped on the verdict, every check and any rollback. */
  at: string;
  /** Which interval of the canary this is; omit for a one-off comparison (validation). */
  interval?: { index: number; startedAt: string; endedAt: string } | null;
  /** Request counts (and p99) of the canary, and of the baseline for context. */
  traffic: { canary: CohortTraffic; baseline?: CohortTraffic | null };
  /** Per metric, the specification and the raw observations of both cohorts. */
  metrics: readonly (MetricSamples & { spec: MetricSpec })[];
  thresholds: HardThresholds;
  scoreThresholds?: ScoreThresholds;
  comparison?: ComparisonOptions;
}

/** Worst first. An interval is as bad as the worse of its two judges. */
const severity: Record<CanaryVerdict, number> = { fail: 3, marginal: 2, no_data: 1, pass: 0 };
const thresholdVerdict: Record<HardThresholdResult["verdict"], CanaryVerdict> = { breach: "fail", no_data: "no_data", ok: "pass" };

export function evaluateInterval(input: IntervalInput): IntervalVerdict {
  const hardThresholds = checkHardThresholds({ canary: input.traffic.canary, thresholds: input.thresholds, at: input.at });
  const metrics = input.metrics.map(({ spec, baseline, candidate }) => compareMetric(spec, { baseline, candidate }, input.comparison));
  const score = scoreCanary(metrics, input.scoreThresholds ?? DEFAULT_SCORE_THRESHOLDS);

  const fromThresholds = thresholdVerdict[hardThresholds.verdict];
  const verdict = severity[fromThresholds] >= severity[score.verdict] ? fromThresholds : score.verdict;
  const rollback = verdict === "fail" ? rollbackFor(hardThresholds, score, metrics, input.at) : null;

  return {
    version: 1,
    at: input.at,
    interval: input.interval ?? null,
    verdict,
    summary: summarize(verdict, hardThresholds, score, rollback),
    rollback,
    hardThresholds,
    statistics: { ...score, metrics },
    traffic: {
      canary: trafficSummary(input.traffic.canary),
      baseline: input.traffic.baseline ? trafficSummary(input.traffic.baseline) : null,
    },
  };
}

/**
 * What the rollback names: a breached hard threshold first (error rate before latency), else the
 * statistical failure: a failed critical metric, else the failed metric of most weight, else
 * (a fail by score alone) the score against the marginal threshold.
 */
function rollbackFor(hard: HardThresholdResult, score: CanaryScore, metrics: MetricComparison[], at: string): RollbackDecision {
  const breach = hard.breaches[0];
  if (breach) {
    return { source: "hard_threshold", metric: breach.metric, value: breach.value!, threshold: breach.threshold, unit: breach.unit, at, reason: breach.reason };
  }
  const failed = metrics.filter((m) => m.verdict === "fail").sort((a, b) => Number(b.critical) - Number(a.critical) || b.weight - a.weight);
  const metric = failed[0];
  if (metric) {
    const signedAllowance = metric.direction === "increase_is_bad" ? metric.allowedShift! : -metric.allowedShift!;
    return { source: "statistics", metric: metric.name, value: metric.shift!, threshold: signedAllowance, unit: metric.unit, at, reason: metric.reason };
  }
  return { source: "statistics", metric: "canary_score", value: score.score!, threshold: score.thresholds.marginal, unit: null, at, reason: score.reason };
}

function summarize(verdict: CanaryVerdict, hard: HardThresholdResult, score: CanaryScore, rollback: RollbackDecision | null) {
  if (rollback) {
    const what =
      rollback.source === "hard_threshold"
        ? `${rollback.metric} ${formatMeasure(rollback.value, rollback.unit)} > ${formatMeasure(rollback.threshold, rollback.unit)}`
        : rollback.metric === "canary_score"
          ? `canary score ${formatNumber(rollback.value)} < ${formatNumber(rollback.threshold)}`
          : `${rollback.metric} shifted ${formatShift(rollback.value, rollback.unit)} against an allowed ${formatShift(rollback.threshold, rollback.unit)}`;
    return `fail at ${rollback.at}: ${what}; roll back`;
  }
  return `${verdict}: thresholds ${hard.verdict === "ok" ? "ok" : "not judged"} (${hard.reason}); statistics ${score.verdict} (${score.reason})`;
}

function trafficSummary({ requests, errors, p99LatencyMs }: CohortTraffic): TrafficSummary {
  const count = (value: number) => (Number.isFinite(value) && value >= 0 ? value : null);
  const validRequests = count(requests);
  const validErrors = count(errors);
  return {
    requests: validRequests,
    errors: validErrors,
    errorRatePercent: validRequests && validErrors !== null && validErrors <= validRequests ? (validErrors / validRequests) * 100 : null,
    p99LatencyMs: p99LatencyMs !== undefined && p99LatencyMs !== null && Number.isFinite(p99LatencyMs) ? p99LatencyMs : null,
  };
}
