"use client";

import { useCallback, useDeferredValue, useMemo, useState, type ReactNode } from "react";
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { timeTicks, weightRows, type ChartMetric, type ChartRows, type MetricRow } from "@/lib/deployments/chart-series";
import type { DeploymentDetail } from "@/lib/deployments/load-deployment";
import type { DeploymentOutcome, EvaluationPoint } from "@/lib/deployments/steps";
import { cohortColor, formatClock, formatMeasure, formatNumber, formatSpan, formatTick, label, optionalMeasure, thresholdColor, verdictColor } from "./format";
import { EvaluationCard, EvaluationMarkers, type HoveredEvaluation } from "./evaluation-markers";

const CHART_HEIGHT = 220;
const WEIGHT_HEIGHT = 140;
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const axisTick = { fontSize: 11, fill: "#475569" };

interface MetricChartSpec {
  metric: ChartMetric;
  title: string;
  unit: "%" | "ms";
  axisLabel: string;
  threshold: number;
  /** The evaluation's canary value for this metric, where its marker sits. */
  markerValue: (evaluation: EvaluationPoint) => number | null;
}

/** The shared time axis: round ticks, and grid lines on them only (not one per data point). */
function useTimeAxis(domain: [number, number]) {
  return useMemo(() => {
    const { ticks, step } = timeTicks(domain);
    return { ticks, tickFormatter: (t: number) => formatTick(t, step) };
  }, [domain]);
}

function Swatch({ color, dashed, dot, wide }: { color: string; dashed?: boolean; dot?: boolean; wide?: boolean }) {
  if (dot) return <span className="inline-block h-2.5 w-2.5 rounded-full border border-white" style={{ background: color }} aria-hidden />;
  return <span className={`inline-block w-5 ${wide ? "border-t-[3px] opacity-60" : "border-t-2"}`} style={{ borderColor: color, borderStyle: dashed ? "dashed" : "solid" }} aria-hidden />;
}

function Legend({ items }: { items: { key: string; label: string; swatch: ReactNode }[] }) {
  return (
    <ul className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600" aria-label="Legend" data-testid="chart-legend">
      {items.map((item) => (
        <li key={item.key} className="flex items-center gap-1.5">
          {item.swatch}
          {item.label}
        </li>
      ))}
    </ul>
  );
}

function MetricTooltip({ row, spec, start, candidate }: { row: MetricRow; spec: MetricChartSpec; start: number; candidate: string }) {
  const { canary, baseline } = row;
  const over = canary !== null && canary > spec.threshold;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md">
      <div className="mb-1 font-medium text-slate-900">
        {formatClock(row.t)} <span className="font-normal text-slate-500">· {formatSpan(row.t - start)} in</span>
      </div>
      <table className="tabular-nums">
        <tbody>
          <tr>
            <td className="pr-2">
              <Swatch color={cohortColor.canary} /> {capitalize(candidate)}
            </td>
            <td className={`pr-2 text-right font-medium ${over ? "text-red-700" : ""}`}>{optionalMeasure(canary, spec.unit)}</td>
            <td className="text-slate-500">{row.canaryRequests === null ? "" : `${formatNumber(row.canaryRequests)} req`}</td>
          </tr>
          <tr>
            <td className="pr-2">
              <Swatch color={cohortColor.baseline} /> Baseline
            </td>
            <td className="pr-2 text-right font-medium">{optionalMeasure(baseline, spec.unit)}</td>
            <td className="text-slate-500">{row.baselineRequests === null ? "" : `${formatNumber(row.baselineRequests)} req`}</td>
          </tr>
          {canary !== null && baseline !== null && (
            <tr>
              <td className="pr-2 text-slate-500">{capitalize(candidate)} − baseline</td>
              <td className="pr-2 text-right">
                {canary - baseline >= 0 ? "+" : "−"}
                {formatMeasure(Math.abs(canary - baseline), spec.unit)}
              </td>
              <td />
            </tr>
          )}
          <tr>
            <td className="pr-2 text-slate-500">Limit</td>
            <td className="pr-2 text-right">{formatMeasure(spec.threshold, spec.unit)}</td>
            <td className="text-red-700">{over ? "over" : ""}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** The space a chart takes while it is still being drawn, so nothing below it jumps. */
function ChartPlaceholder({ title, height }: { title: string; height: number }) {
  return (
    <figure aria-busy="true">
      <figcaption className="mb-1 text-sm font-medium text-slate-800">{title}</figcaption>
      <div style={{ height }} className="rounded bg-slate-50" />
    </figure>
  );
}

function outcomeLabel(outcome: DeploymentOutcome) {
  return outcome.kind === "rollback" ? "rolled back" : "promoted";
}

function MetricChart({
  spec,
  rows,
  domain,
  evaluations,
  outcome,
  syncId,
  candidate,
}: {
  spec: MetricChartSpec;
  rows: MetricRow[];
  domain: [number, number];
  evaluations: EvaluationPoint[];
  outcome: DeploymentOutcome | null;
  syncId: string;
  candidate: string;
}) {
  const [hovered, setHovered] = useState<HoveredEvaluation | null>(null);
  const { ticks, tickFormatter } = useTimeAxis(domain);
  const valueTick = useCallback((value: number) => formatMeasure(value, spec.unit), [spec.unit]);
  const testId = spec.metric === "errorRate" ? "chart-error-rate" : "chart-p99";
  return (
    <figure className="relative" data-testid={testId} aria-label={`${spec.title} of ${candidate} and baseline over time`}>
      <figcaption className="mb-1 text-sm font-medium text-slate-800">{spec.title}</figcaption>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
        <LineChart data={rows} syncId={syncId} syncMethod="value" margin={{ top: 16, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" verticalValues={ticks} />
          <XAxis dataKey="t" type="number" scale="time" domain={domain} ticks={ticks} tickFormatter={tickFormatter} tick={axisTick} allowDataOverflow />
          <YAxis
            tick={axisTick}
            width={64}
            domain={[0, "auto"]}
            tickFormatter={valueTick}
            label={{ value: spec.axisLabel, angle: -90, position: "insideLeft", style: { fontSize: 11, fill: "#475569", textAnchor: "middle" }, dx: 2 }}
          />
          <Tooltip
            isAnimationActive={false}
            content={({ active, payload }) => (active && payload?.length ? <MetricTooltip row={payload[0].payload as MetricRow} spec={spec} start={domain[0]} candidate={candidate} /> : null)}
          />
          <ReferenceLine
            y={spec.threshold}
            stroke={thresholdColor}
            strokeDasharray="6 4"
            ifOverflow="extendDomain"
            label={{ value: `limit ${formatMeasure(spec.threshold, spec.unit)}`, position: "insideTopRight", fill: thresholdColor, fontSize: 11 }}
          />
          <Line
            name="Baseline"
            dataKey="baseline"
            stroke={cohortColor.baseline}
            // Wider and lighter, under the canary: where the two agree the baseline shows as a band.
            strokeWidth={3}
            strokeOpacity={0.6}
            dot={false}
            activeDot={{ r: 3 }}
            connectNulls
            isAnimationActive={false}
          />
          <Line
            name={capitalize(candidate)}
            dataKey="canary"
            stroke={cohortColor.canary}
            strokeWidth={1.25}
            dot={false}
            activeDot={{ r: 3 }}
            connectNulls
            isAnimationActive={false}
          />
          {outcome && (
            <ReferenceLine
              x={Date.parse(outcome.at)}
              stroke={outcome.kind === "rollback" ? thresholdColor : verdictColor.pass}
              strokeWidth={2}
              ifOverflow="extendDomain"
              // Written on the side with room: left of a marker near the right edge.
              label={{ value: outcomeLabel(outcome), position: Date.parse(outcome.at) - domain[0] > (domain[1] - domain[0]) / 2 ? "insideTopRight" : "insideTopLeft", fill: outcome.kind === "rollback" ? thresholdColor : verdictColor.pass, fontSize: 11, fontWeight: 600 }}
              className="outcome-marker"
            />
          )}
          <EvaluationMarkers evaluations={evaluations} markerValue={spec.markerValue} hoveredId={hovered?.evaluation.stepId ?? null} onHover={setHovered} />
        </LineChart>
      </ResponsiveContainer>
      {hovered && (
        <div
          className="pointer-events-none absolute z-10"
          style={{ left: Math.max(0, hovered.x - 330), top: Math.max(0, hovered.y + 28 - (hovered.y > CHART_HEIGHT / 2 ? 180 : 0)) }}
        >
          <EvaluationCard evaluation={hovered.evaluation} />
        </div>
      )}
    </figure>
  );
}

function WeightChart({ detail, domain, syncId, candidate }: { detail: DeploymentDetail; domain: [number, number]; syncId: string; candidate: string }) {
  const rows = useMemo(() => weightRows(detail.weightHistory, domain), [detail.weightHistory, domain]);
  const { ticks, tickFormatter } = useTimeAxis(domain);
  const outcome = detail.outcome;
  return (
    <figure data-testid="chart-weight" aria-label={`Traffic to the ${candidate} over time`}>
      <figcaption className="mb-1 text-sm font-medium text-slate-800">Traffic to the {candidate}</figcaption>
      <ResponsiveContainer width="100%" height={WEIGHT_HEIGHT}>
        <LineChart data={rows} syncId={syncId} syncMethod="value" margin={{ top: 16, right: 24, bottom: 4, left: 8 }}>
          <CartesianGrid stroke="#e2e8f0" strokeDasharray="3 3" verticalValues={ticks} />
          <XAxis dataKey="t" type="number" scale="time" domain={domain} ticks={ticks} tickFormatter={tickFormatter} tick={axisTick} allowDataOverflow />
          <YAxis
            tick={axisTick}
            width={64}
            domain={[0, (dataMax: number) => Math.max(10, dataMax)]}
            tickFormatter={(value: number) => `${formatNumber(value)}%`}
            label={{ value: "weight (%)", angle: -90, position: "insideLeft", style: { fontSize: 11, fill: "#475569", textAnchor: "middle" }, dx: 2 }}
          />
          <Tooltip
            isAnimationActive={false}
            content={({ active, payload }) => {
              if (!active || !payload?.length) return null;
              const row = payload[0].payload as { t: number; weight: number };
              return (
                <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-md">
                  <div className="font-medium text-slate-900">{formatClock(row.t)}</div>
                  <div>
                    Traffic to the {candidate} <b>{formatNumber(row.weight)}%</b>
                  </div>
                </div>
              );
            }}
          />
          <Line name="Traffic" type="stepAfter" dataKey="weight" stroke={cohortColor.canary} strokeWidth={2} dot={false} isAnimationActive={false} />
          {outcome && (
            <ReferenceLine x={Date.parse(outcome.at)} stroke={outcome.kind === "rollback" ? thresholdColor : verdictColor.pass} strokeWidth={2} ifOverflow="extendDomain" />
          )}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/**
 * Error rate and p99 latency of canary and baseline over time, with the policy's limits, the
 * evaluations (dots by verdict; hover or focus one for its numbers), the traffic weight and the
 * promote or rollback marker. Drawn from the API's display rows (each time bucket's lowest and
 * highest value per cohort); the raw samples are in the CSV.
 */
export function CanaryCharts({ detail, rows, domain }: { detail: DeploymentDetail; rows: ChartRows; domain: [number, number] }) {
  const { thresholds, evaluations, outcome } = detail;
  const deferred = useDeferredValue(rows, null);
  const syncId = `deployment-${detail.deployment.id}`;
  // The canary cohort of a staging deployment is the candidate build.
  const candidate = detail.deployment.environment === "staging" ? "candidate" : "canary";
  const specs: MetricChartSpec[] = [
    {
      metric: "errorRate",
      title: "Error rate",
      unit: "%",
      axisLabel: "errors (%)",
      threshold: thresholds.maxErrorRatePercent,
      markerValue: (evaluation) => evaluation.errorRatePercent,
    },
    {
      metric: "p99Ms",
      title: "p99 latency",
      unit: "ms",
      axisLabel: "p99 (ms)",
      threshold: thresholds.maxP99LatencyMs,
      markerValue: (evaluation) => evaluation.p99LatencyMs,
    },
  ];
  const drawn = new Set([...rows.errorRate, ...rows.p99Ms]).size;
  const legend = [
    { key: "canary", label: capitalize(candidate), swatch: <Swatch color={cohortColor.canary} /> },
    { key: "baseline", label: "Baseline", swatch: <Swatch color={cohortColor.baseline} wide /> },
    { key: "limit", label: `Limit (policy v${thresholds.policyVersion}${thresholds.source === "defaults" ? ", unreadable: defaults shown" : ""})`, swatch: <Swatch color={thresholdColor} dashed /> },
    ...(["pass", "marginal", "fail", "no_data"] as const).map((verdict) => ({
      key: verdict,
      label: `${label(verdict)} evaluation`,
      swatch: <Swatch color={verdictColor[verdict]} dot />,
    })),
    ...(outcome ? [{ key: "outcome", label: outcomeLabel(outcome), swatch: <Swatch color={outcome.kind === "rollback" ? thresholdColor : verdictColor.pass} /> }] : []),
  ];

  if (rows.rawCount === 0) {
    return (
      <p className="rounded-md border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600" data-testid="no-samples">
        No metric samples yet. {detail.deployment.live ? `The agent records ${candidate} and baseline samples once traffic reaches the ${candidate}; this page updates by itself.` : "None were recorded for this deployment."}
      </p>
    );
  }
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Legend items={legend} />
        <p className="text-xs text-slate-500" data-testid="sample-note">
          {drawn < rows.rawCount / 2 ? `${formatNumber(rows.rawCount)} samples, drawn as each time bucket's lowest and highest value (spikes kept).` : `${formatNumber(rows.rawCount)} samples.`}{" "}
          <a href={`/api/v1/deployments/${detail.deployment.id}?format=csv`} className="text-indigo-700 hover:underline" download data-testid="samples-csv">
            Download raw samples (CSV)
          </a>
        </p>
      </div>
      {specs.map((spec, index) =>
        // The error rate first; the others follow as soon as the browser is free, so the first
        // chart shows without waiting for all three and the page never freezes while they draw.
        index === 0 || deferred ? (
          <MetricChart key={spec.metric} spec={spec} rows={rows[spec.metric]} domain={domain} evaluations={evaluations} outcome={outcome} syncId={syncId} candidate={candidate} />
        ) : (
          <ChartPlaceholder key={spec.metric} title={spec.title} height={CHART_HEIGHT} />
        ),
      )}
      {deferred ? <WeightChart detail={detail} domain={domain} syncId={syncId} candidate={candidate} /> : <ChartPlaceholder title={`Traffic to the ${candidate}`} height={WEIGHT_HEIGHT} />}
    </div>
  );
}
