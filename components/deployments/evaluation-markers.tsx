"use client";

import { DefaultZIndexes, usePlotArea, useXAxisScale, useYAxisScale, ZIndexLayer } from "recharts";
import type { EvaluationPoint } from "@/lib/deployments/steps";
import { formatClock, formatMeasure, formatNumber, label, metricName, optionalMeasure, verdictColor } from "./format";
import { VerdictBadge } from "./status-badge";

/** The numbers an evaluation judged: the canary against the limits, and the baseline beside it. */
export function EvaluationCard({ evaluation }: { evaluation: EvaluationPoint }) {
  const result = evaluation.result.state === "ok" ? evaluation.result.value : null;
  return (
    <div className="w-80 rounded-md border border-slate-200 bg-white p-3 text-xs shadow-lg" role="tooltip" data-testid="evaluation-tooltip">
      <div className="flex items-center gap-2">
        <VerdictBadge verdict={evaluation.verdict} />
        <span className="font-medium text-slate-900">Evaluation at {formatClock(evaluation.at)}</span>
      </div>
      {result ? (
        <>
          <table className="mt-2 w-full tabular-nums">
            <thead className="text-left text-[11px] uppercase text-slate-500">
              <tr>
                <th className="font-normal">Metric</th>
                <th className="text-right font-normal">Canary</th>
                <th className="text-right font-normal">Baseline</th>
                <th className="text-right font-normal">Limit</th>
              </tr>
            </thead>
            <tbody>
              {result.hardThresholds.checks.map((check) => {
                const baseline = check.metric === "error_rate_percent" ? result.traffic.baseline?.errorRatePercent : result.traffic.baseline?.p99LatencyMs;
                return (
                  <tr key={check.metric}>
                    <td>{metricName(check.metric)}</td>
                    <td className="text-right font-medium" style={{ color: verdictColor[check.status === "ok" ? "pass" : check.status] }}>
                      {optionalMeasure(check.value, check.unit)}
                    </td>
                    <td className="text-right">{optionalMeasure(baseline, check.unit)}</td>
                    <td className="text-right">{formatMeasure(check.threshold, check.unit)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="mt-2 text-slate-600">
            {formatNumber(result.traffic.canary.requests ?? 0)} canary requests · score {result.statistics.score === null ? "–" : formatNumber(result.statistics.score)} (
            {label(result.statistics.verdict)})
          </p>
          {result.statistics.metrics.map((metric) => (
            <p key={metric.name} className="mt-1 text-slate-600">
              <span style={{ color: verdictColor[metric.verdict] }}>●</span> {metric.reason}
            </p>
          ))}
        </>
      ) : (
        <p className="mt-2 text-slate-600">
          {evaluation.summary}
          {evaluation.result.state === "unreadable" && <span className="block text-amber-700">(its details are unreadable)</span>}
        </p>
      )}
    </div>
  );
}

export interface HoveredEvaluation {
  evaluation: EvaluationPoint;
  x: number;
  y: number;
}

/**
 * The evaluations as dots at the canary value each judged, colored by verdict; hover or focus one
 * for its numbers. Drawn as one layer with the chart's scales rather than one Recharts element
 * per dot: every registered element makes the chart recompute, and a canary has many evaluations.
 * A dot whose value lies outside the plot is pinned to its edge; one without a value sits on the
 * axis, hollow.
 */
export function EvaluationMarkers({
  evaluations,
  markerValue,
  hoveredId,
  onHover,
}: {
  evaluations: EvaluationPoint[];
  markerValue: (evaluation: EvaluationPoint) => number | null;
  hoveredId: string | null;
  onHover: (hovered: HoveredEvaluation | null) => void;
}) {
  const x = useXAxisScale();
  const y = useYAxisScale();
  const area = usePlotArea();
  if (!x || !y || !area) return null;
  const top = area.y;
  const bottom = area.y + area.height;
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.activeDot}>
      <g className="evaluation-markers">
        {evaluations.map((evaluation) => {
          const value = markerValue(evaluation);
          const cx = x(Date.parse(evaluation.at));
          const cy = value === null ? bottom : Math.min(bottom, Math.max(top, y(value) ?? bottom));
          if (cx === undefined || cx < area.x - 1 || cx > area.x + area.width + 1) return null;
          const show = () => onHover({ evaluation, x: cx, y: cy });
          return (
            <circle
              key={evaluation.stepId}
              cx={cx}
              cy={cy}
              r={hoveredId === evaluation.stepId ? 7 : 5}
              fill={value === null ? "#fff" : (verdictColor[evaluation.verdict] ?? verdictColor.no_data)}
              stroke={value === null ? verdictColor.no_data : "#fff"}
              strokeWidth={1.5}
              tabIndex={0}
              role="img"
              aria-label={`${label(evaluation.verdict)} evaluation at ${formatClock(evaluation.at)}: ${evaluation.summary}`}
              data-testid="evaluation-marker"
              data-verdict={evaluation.verdict}
              style={{ cursor: "pointer", outline: "none" }}
              onMouseEnter={show}
              onMouseLeave={() => onHover(null)}
              onFocus={show}
              onBlur={() => onHover(null)}
            />
          );
        })}
      </g>
    </ZIndexLayer>
  );
}
