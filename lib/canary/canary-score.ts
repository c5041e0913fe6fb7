/**
 * Kayenta-style aggregate of the metric verdicts: a score from 0 to 100 (the weighted share of
 * credit), classified by two thresholds, with critical metrics able to decide on their own.
 *
 *   credit: pass 1, marginal ½, fail 0, no_data 0 (missing data earns nothing; it still counts
 *           in the denominator, so a silent metric lowers the score instead of vanishing)
 *   1. no metric with data                   → no_data
 *   2. any critical metric fails             → fail
 *   3. any critical metric has no data       → no_data (it cannot pass unseen)
 *   4. score ≥ pass threshold → pass; ≥ marginal threshold → marginal; below → fail
 */
import { formatNumber } from "./format";
import type { CanaryScore, MetricComparison, MetricVerdict, ScoreThresholds } from "./verdict-schema";

/** Kayenta's usual defaults. */
export const DEFAULT_SCORE_THRESHOLDS: ScoreThresholds = { pass: 95, marginal: 75 };

const credit: Record<MetricVerdict, number> = { pass: 1, marginal: 0.5, fail: 0, no_data: 0 };

type ScoredMetric = Pick<MetricComparison, "name" | "verdict" | "critical" | "weight">;

export function scoreCanary(metrics: readonly ScoredMetric[], thresholds: ScoreThresholds = DEFAULT_SCORE_THRESHOLDS): CanaryScore {
  if (!(thresholds.marginal >= 0 && thresholds.marginal <= thresholds.pass && thresholds.pass <= 100)) {
    throw new RangeError(`score thresholds need 0 ≤ marginal (${thresholds.marginal}) ≤ pass (${thresholds.pass}) ≤ 100`);
  }
  const counts = { pass: 0, marginal: 0, fail: 0, no_data: 0 };
  let totalWeight = 0;
  let earned = 0;
  for (const metric of metrics) {
    if (!(Number.isFinite(metric.weight) && metric.weight >= 0)) throw new RangeError(`${metric.name}: weight must be a finite number ≥ 0`);
    counts[metric.verdict]++;
    totalWeight += metric.weight;
    earned += metric.weight * credit[metric.verdict];
  }
  const criticalFailures = metrics.filter((m) => m.critical && m.verdict === "fail").map((m) => m.name);
  const criticalNoData = metrics.filter((m) => m.critical && m.verdict === "no_data").map((m) => m.name);
  const judged = metrics.length - counts.no_data;
  const score = judged === 0 || totalWeight === 0 ? null : (100 * earned) / totalWeight;
  const tally = `${counts.pass} pass, ${counts.marginal} marginal, ${counts.fail} fail, ${counts.no_data} no data`;
  const base = { score, thresholds, counts, criticalFailures, criticalNoData };

  if (score === null) {
    const why = metrics.length === 0 ? "no metrics to compare" : judged === 0 ? `no metric had data (${tally})` : "every metric has weight 0";
    return { ...base, verdict: "no_data", reason: why };
  }
  const scoreText = `score ${formatNumber(score)} (${tally})`;
  if (criticalFailures.length > 0) {
    return { ...base, verdict: "fail", reason: `critical metric ${criticalFailures.join(", ")} failed; ${scoreText}` };
  }
  if (criticalNoData.length > 0) {
    return { ...base, verdict: "no_data", reason: `critical metric ${criticalNoData.join(", ")} has no data; ${scoreText}` };
  }
  if (score >= thresholds.pass) return { ...base, verdict: "pass", reason: `${scoreText} ≥ pass threshold ${thresholds.pass}` };
  if (score >= thresholds.marginal) {
    return { ...base, verdict: "marginal", reason: `${scoreText} is below the pass threshold ${thresholds.pass}, at or above the marginal threshold ${thresholds.marginal}` };
  }
  return { ...base, verdict: "fail", reason: `${scoreText} < marginal threshold ${thresholds.marginal}` };
}
