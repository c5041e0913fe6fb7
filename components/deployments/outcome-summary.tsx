import type { IntervalVerdict } from "@/lib/canary/verdict-schema";
import type { DeploymentDetail } from "@/lib/deployments/load-deployment";
import type { EvaluationPoint } from "@/lib/deployments/steps";
import { formatClock, formatMeasure, formatNumber, label, metricName, optionalMeasure, verdictColor } from "./format";
import { VerdictBadge } from "./status-badge";

/** The evaluation that decided: the failing one before a rollback, else the latest. */
function decisiveEvaluation(detail: DeploymentDetail): EvaluationPoint | null {
  const { evaluations, outcome } = detail;
  if (outcome?.kind === "rollback") return evaluations.findLast((e) => e.verdict === "fail") ?? evaluations.at(-1) ?? null;
  return evaluations.at(-1) ?? null;
}

function tally(evaluations: EvaluationPoint[]) {
  const counts = new Map<string, number>();
  for (const evaluation of evaluations) counts.set(evaluation.verdict, (counts.get(evaluation.verdict) ?? 0) + 1);
  return [...counts].map(([verdict, count]) => `${count} ${label(verdict)}`).join(", ");
}

/** Canary against baseline and the limits, in the interval that decided: the numbers behind the verdict. */
function CanaryVersusBaseline({ result, at }: { result: IntervalVerdict; at: string }) {
  const baselineOf = (metric: string) => (metric === "error_rate_percent" ? result.traffic.baseline?.errorRatePercent : result.traffic.baseline?.p99LatencyMs);
  return (
    <div className="mt-3">
      <table className="text-sm tabular-nums" data-testid="canary-vs-baseline">
        <caption className="mb-1 text-left text-xs text-slate-500">Canary against baseline in the interval judged at {formatClock(at)}</caption>
        <thead className="text-left text-xs uppercase text-slate-500">
          <tr>
            <th className="py-1 pr-4 font-normal">Metric</th>
            <th className="py-1 pr-4 text-right font-normal">Canary</th>
            <th className="py-1 pr-4 text-right font-normal">Baseline</th>
            <th className="py-1 pr-4 text-right font-normal">Difference</th>
            <th className="py-1 pr-4 text-right font-normal">Limit</th>
            <th className="py-1 font-normal" />
          </tr>
        </thead>
        <tbody>
          {result.hardThresholds.checks.map((check) => {
            const baseline = baselineOf(check.metric) ?? null;
            const difference = check.value !== null && baseline !== null ? check.value - baseline : null;
            return (
              <tr key={check.metric} className="border-t border-slate-100">
                <td className="py-1 pr-4">{metricName(check.metric)}</td>
                <td className="py-1 pr-4 text-right font-semibold" style={{ color: check.status === "breach" ? verdictColor.fail : undefined }}>
                  {optionalMeasure(check.value, check.unit)}
                </td>
                <td className="py-1 pr-4 text-right">{optionalMeasure(baseline, check.unit)}</td>
                <td className="py-1 pr-4 text-right">
                  {difference === null ? "–" : `${difference >= 0 ? "+" : "−"}${formatMeasure(Math.abs(difference), check.unit)}`}
                </td>
                <td className="py-1 pr-4 text-right">{formatMeasure(check.threshold, check.unit)}</td>
                <td className="py-1">
                  <VerdictBadge verdict={check.status === "ok" ? "pass" : check.status} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="mt-1 text-xs text-slate-500">
        {result.traffic.canary.requests === null ? "" : `${formatNumber(result.traffic.canary.requests)} canary requests`}
        {result.traffic.baseline?.requests ? ` · ${formatNumber(result.traffic.baseline.requests)} baseline requests` : ""} · statistics: {result.statistics.reason}
      </p>
    </div>
  );
}

/**
 * The answer first: how the deployment ended (or where it stands), the metric that decided with
 * its number and limit, and the canary beside the baseline in that interval.
 */
export function OutcomeSummary({ detail }: { detail: DeploymentDetail }) {
  const { deployment, outcome, evaluations } = detail;
  const decisive = decisiveEvaluation(detail);
  const result = decisive?.result.state === "ok" ? decisive.result.value : detail.analysis.state === "ok" && detail.analysis.value.kind === "canary" ? detail.analysis.value.latest : null;
  const failedStep = detail.steps.findLast((step) => step.verdict === "failed");

  let tone = "border-slate-200 bg-white";
  let headline: string;
  let reason: string | null = null;
  if (deployment.status === "rolled_back") {
    tone = "border-red-200 bg-red-50";
    headline = `Rolled back${outcome ? ` at ${formatClock(outcome.at)}` : ""}`;
    reason = deployment.rollbackReason ?? outcome?.summary ?? null;
  } else if (deployment.status === "failed") {
    tone = "border-red-200 bg-red-50";
    headline = "Failed";
    reason = deployment.rollbackReason ?? failedStep?.summary ?? null;
  } else if (deployment.status === "promoted") {
    tone = "border-emerald-200 bg-emerald-50";
    headline = `Promoted${outcome ? ` at ${formatClock(outcome.at)}` : ""}`;
    // The staging agent promotes without a promote step: its last step (the comparison) says why.
    reason = outcome?.summary ?? detail.steps.at(-1)?.summary ?? null;
  } else if (deployment.status === "canary") {
    tone = "border-indigo-200 bg-indigo-50";
    headline = `Canary running at ${formatNumber(deployment.trafficPercent)}% of traffic`;
    reason = decisive ? `Latest evaluation (${formatClock(decisive.at)}): ${decisive.summary}` : "Waiting for the first evaluation.";
  } else {
    tone = "border-blue-200 bg-blue-50";
    headline = deployment.status === "deploying" ? "Deploying" : "Waiting to deploy";
    reason = detail.steps.at(-1)?.summary ?? null;
  }
  const tripped = outcome?.tripped;

  return (
    <section className={`rounded-lg border p-4 ${tone}`} data-testid="outcome-summary" aria-label="Outcome">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <h2 className="text-lg font-semibold text-slate-900">{headline}</h2>
        {tripped && (
          <p className="text-base" data-testid="tripped-metric">
            <span className="font-semibold text-red-700">
              {metricName(tripped.metric)} {formatMeasure(tripped.value, tripped.unit)}
            </span>{" "}
            <span className="text-slate-700">
              {tripped.value > tripped.threshold ? ">" : "<"} limit {formatMeasure(tripped.threshold, tripped.unit)}
            </span>
          </p>
        )}
        {evaluations.length > 0 && (
          <span className="text-sm text-slate-600">
            {evaluations.length === 1 ? "1 evaluation" : `${evaluations.length} evaluations`}: {tally(evaluations)}
          </span>
        )}
      </div>
      {reason && (
        <p className="mt-1 text-sm text-slate-800" data-testid="outcome-reason">
          {reason}
        </p>
      )}
      {result && decisive && <CanaryVersusBaseline result={result} at={decisive.at} />}
      {result && !decisive && <CanaryVersusBaseline result={result} at={result.at} />}
    </section>
  );
}
