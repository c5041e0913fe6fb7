import type { ReactNode } from "react";
import { formatShift } from "@/lib/canary/format";
import type { MetricComparison } from "@/lib/canary/verdict-schema";
import type { StagingAnalysis } from "@/lib/deployments/analysis";
import type { StoredJson } from "@/lib/deployments/stored-json";
import { formatNumber, label, optionalMeasure } from "./format";
import { VerdictBadge } from "./status-badge";

function Cohort({ summary, unit }: { summary: MetricComparison["baseline"]; unit: string | null }) {
  return (
    <>
      <td className="px-3 py-2 text-right tabular-nums">{optionalMeasure(summary.median, unit)}</td>
      <td className="px-3 py-2 text-right tabular-nums text-slate-600">{optionalMeasure(summary.p99, unit)}</td>
    </>
  );
}

function Shift({ metric }: { metric: MetricComparison }) {
  if (metric.shift === null) return <span className="text-slate-500">–</span>;
  return (
    <>
      <span className="font-medium">{formatShift(metric.shift, metric.unit)}</span>
      {metric.interval && (
        <span className="block text-xs text-slate-500">
          {formatShift(metric.interval.lower, metric.unit)} to {formatShift(metric.interval.upper, metric.unit)} ({formatNumber(metric.interval.confidenceLevel * 100)}%)
        </span>
      )}
      {metric.allowedShift !== null && <span className="block text-xs text-slate-500">allowed {formatShift(metric.direction === "increase_is_bad" ? metric.allowedShift : -metric.allowedShift, metric.unit)}</span>}
    </>
  );
}

/** The staging agent's comparison: each metric of the candidate against the production baseline. */
export function StagingComparison({ analysis, note }: { analysis: StoredJson<StagingAnalysis>; note?: ReactNode }) {
  if (analysis.state === "absent") return <p className="text-sm text-slate-600">The staging agent has not recorded a comparison for this deployment.</p>;
  if (analysis.state === "unreadable") {
    return (
      <p className="text-sm text-amber-800" data-testid="analysis-unreadable">
        Unreadable analysis: {analysis.problems.join("; ")}
      </p>
    );
  }
  const { metrics, adjustmentFactor } = analysis.value;
  return (
    <div className="space-y-2" data-testid="staging-comparison">
      <p className="text-sm text-slate-600">
        Staging measurements × {formatNumber(adjustmentFactor)} (the staging→production adjustment factor), compared with the production baseline. Shift:
        Hodges–Lehmann estimate of candidate − baseline, with its confidence interval. {note}
      </p>
      {metrics.length === 0 ? (
        <p className="text-sm text-slate-600">No metrics were compared.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2" rowSpan={2}>
                  Metric
                </th>
                <th className="px-3 pt-2 text-center" colSpan={2}>
                  Baseline
                </th>
                <th className="px-3 pt-2 text-center" colSpan={2}>
                  Candidate
                </th>
                <th className="px-3 py-2 text-right" rowSpan={2}>
                  Shift
                </th>
                <th className="px-3 py-2" rowSpan={2}>
                  Verdict
                </th>
                <th className="px-3 py-2" rowSpan={2}>
                  Reason
                </th>
              </tr>
              <tr>
                <th className="px-3 pb-2 text-right font-normal">median</th>
                <th className="px-3 pb-2 text-right font-normal">p99</th>
                <th className="px-3 pb-2 text-right font-normal">median</th>
                <th className="px-3 pb-2 text-right font-normal">p99</th>
              </tr>
            </thead>
            <tbody>
              {metrics.map((metric) => (
                <tr key={metric.name} className="border-t border-slate-100 align-top" data-testid="staging-metric">
                  <td className="px-3 py-2 font-medium">
                    {label(metric.name)}
                    {metric.unit && <span className="font-normal text-slate-500"> ({metric.unit})</span>}
                    {metric.critical && <span className="ml-1 rounded bg-slate-100 px-1 text-[11px] font-normal text-slate-600">critical</span>}
                  </td>
                  <Cohort summary={metric.baseline} unit={metric.unit} />
                  <Cohort summary={metric.candidate} unit={metric.unit} />
                  <td className="px-3 py-2 text-right tabular-nums">
                    <Shift metric={metric} />
                  </td>
                  <td className="px-3 py-2">
                    <VerdictBadge verdict={metric.verdict} />
                  </td>
                  <td className="max-w-md px-3 py-2 text-slate-700">{metric.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
