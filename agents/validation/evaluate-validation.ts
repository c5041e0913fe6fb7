import type { CanaryScore, MetricComparison } from "../../lib/canary";
import type { EscalationReason } from "../../lib/pipeline/escalation-reasons";
import type { StageOutcome } from "../../lib/pipeline/transitions";

/**
 * The validation policy: no performance regression. Every metric must pass the statistical
 * comparison with the baseline; a failed or marginal metric is a regression a person looks at,
 * with the numbers; a metric without data is reported as such and never counts as a pass.
 */
export function evaluateValidation(comparison: { metrics: MetricComparison[]; score: CanaryScore }): StageOutcome {
  const { metrics, score } = comparison;
  const noData = metrics.filter((m) => m.verdict === "no_data");
  const worse = metrics.filter((m) => m.verdict === "fail" || m.verdict === "marginal");
  const reasons: EscalationReason[] = [];
  for (const metric of worse) {
    reasons.push({
      code: "staging_regression",
      label: `${metric.name} ${metric.verdict}${metric.relativeShift !== null ? ` (${metric.relativeShift >= 0 ? "+" : ""}${Math.round(metric.relativeShift * 100)}%)` : ""}`,
      detail: metric.reason,
      value: metric.shift ?? undefined,
      threshold: metric.allowedShift ?? undefined,
    });
  }
  if (noData.length > 0 || metrics.length === 0) {
    const names = noData.map((m) => m.name).join(", ") || "every metric";
    reasons.push({ code: "no_metric_data", label: "no metric data", detail: `No data to compare for ${names}: a missing measurement is not a pass.` });
  }
  if (reasons.length > 0) return { kind: "escalate", summary: `Escalated: ${reasons.map((r) => r.label).join(", ")}`, reasons };
  return { kind: "pass", summary: `No regression: ${metrics.map((m) => m.name).join(", ")} within tolerance (score ${score.score ?? "–"})` };
}
