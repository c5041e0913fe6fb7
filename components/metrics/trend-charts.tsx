"use client";

import { useRouter } from "next/navigation";
import { useDeferredValue, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MouseHandlerDataParam } from "recharts/types/synchronisation/types";
import { reasonName } from "@/components/inbox/reasons";
import type { MetricsAnswer } from "@/lib/metrics/load-metrics";
import { bucketLabel, formatHours, formatShare } from "./format";
import { drillDownHref, type MetricsFilterState } from "./params";

const reasonColors = ["#dc2626", "#7c3aed", "#2563eb", "#d97706", "#059669", "#db2777", "#0891b2", "#65a30d", "#475569", "#9333ea"];
const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);

export function ChartCard({ title, description, testId, children }: { title: string; description: ReactNode; testId: string; children: ReactNode }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={testId}>
      <h2 className="text-sm font-semibold text-slate-900">{title}</h2>
      <p className="mt-0.5 text-xs text-slate-500">{description}</p>
      <div className="mt-3 h-64">{children}</div>
    </section>
  );
}

/** Every reason that occurs in the series, most frequent first, so colours and stacks stay stable. */
function reasonsIn(series: MetricsAnswer["series"], pick: (b: MetricsAnswer["series"][number]) => Record<string, number>): string[] {
  const totals = new Map<string, number>();
  for (const bucket of series) for (const [reason, count] of Object.entries(pick(bucket))) totals.set(reason, (totals.get(reason) ?? 0) + count);
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([reason]) => reason);
}

/**
 * True once the page has painted: the lead time chart is drawn in the first render and the other
 * charts (and the stage breakdown) in a background render right after it (useDeferredValue), so the first chart does not
 * wait for all of them and the filters respond while they draw.
 */
export function useRestOfTheChartsDrawn(): boolean {
  return useDeferredValue(true, false);
}

/**
 * Every series is drawn without Recharts' entry animation: with day buckets the stacked bars are
 * thousands of SVG shapes, and animating them kept the browser busy for seconds after the data
 * arrived (bench/metrics.ts measures the page).
 */
export function TrendCharts({ report, filters }: { report: MetricsAnswer; filters: MetricsFilterState }) {
  const router = useRouter();
  const restDrawn = useRestOfTheChartsDrawn();
  const size = report.window.bucket;
  const tick = (bucket: string) => bucketLabel(bucket, size);
  /** Clicking a bucket opens the runs behind it. */
  const openBucket = (set: string) => (state: MouseHandlerDataParam) => {
    if (typeof state?.activeLabel === "string") router.push(drillDownHref(filters, set, { bucket: state.activeLabel }));
  };
  const axis = { dataKey: "bucket", tickFormatter: tick, tick: { fontSize: 11 }, minTickGap: 16 } as const;
  const labelFormatter = (label: unknown) => (typeof label === "string" ? `${size === "week" ? "Week of " : ""}${label}` : String(label));

  const primaryReasons = reasonsIn(report.series, (b) => b.escalatedByPrimaryReason);
  const allReasons = reasonsIn(report.series, (b) => b.escalationReasons);
  const rows = report.series.map((b) => ({
    bucket: b.bucket,
    median: b.leadTime.medianHours,
    p90: b.leadTime.p90Hours,
    rollbackRate: share(b.rollbacks, b.deployments),
    changeFailureRate: share(b.changeFailures, b.deployments),
    falseShare: share(b.escalationsApproved, b.escalationsDecided),
    runsStarted: b.runsStarted,
    deployed: b.deploymentsPromoted,
    ...Object.fromEntries(primaryReasons.map((r) => [`rate:${r}`, share(b.escalatedByPrimaryReason[r] ?? 0, b.runsDecided)])),
    ...Object.fromEntries(allReasons.map((r) => [`count:${r}`, b.escalationReasons[r] ?? 0])),
  }));

  return (
    <div className="grid grid-cols-1 gap-4 xl:grid-cols-2" data-bucket={size}>
      <ChartCard title="Lead time" description="First commit (or PR opened) to production deploy complete, median and 90th percentile per bucket. Click a bucket for its deployments." testId="chart-lead-time">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} onClick={openBucket("deployments_promoted")} className="cursor-pointer">
            <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
            <XAxis {...axis} />
            <YAxis tickFormatter={(h: number) => formatHours(h)} tick={{ fontSize: 11 }} width={48} />
            <Tooltip formatter={(value) => formatHours(value as number)} labelFormatter={labelFormatter} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line isAnimationActive={false} type="monotone" dataKey="median" name="median" stroke="#4f46e5" dot={false} strokeWidth={2} connectNulls />
            <Line isAnimationActive={false} type="monotone" dataKey="p90" name="p90" stroke="#a5b4fc" dot={false} strokeWidth={2} connectNulls />
          </LineChart>
        </ResponsiveContainer>
      </ChartCard>

      <ChartCard
        title="Human review rate"
        description="Share of runs with a verdict that were escalated, stacked by the first reason of their first escalation. Click a bucket for its escalated runs."
        testId="chart-escalation-rate"
      >
        {restDrawn && (
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} onClick={openBucket("runs_escalated")} className="cursor-pointer">
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis {...axis} />
              <YAxis tickFormatter={(v: number) => formatShare(v)} tick={{ fontSize: 11 }} width={44} />
              <Tooltip formatter={(value) => formatShare(value as number)} labelFormatter={labelFormatter} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {primaryReasons.map((reason, i) => (
                <Bar isAnimationActive={false} key={reason} dataKey={`rate:${reason}`} name={reasonName(reason)} stackId="reasons" fill={reasonColors[i % reasonColors.length]} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartCard>

      <ChartCard title="Rollbacks and change failures" description="Of finished production deployments: rolled back by the agent, and rolled back or followed by an incident." testId="chart-rollback-rate">
        {restDrawn && (
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={rows} onClick={openBucket("change_failures")} className="cursor-pointer">
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis {...axis} />
              <YAxis tickFormatter={(v: number) => formatShare(v)} tick={{ fontSize: 11 }} width={44} />
              <Tooltip formatter={(value) => formatShare(value as number)} labelFormatter={labelFormatter} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Line isAnimationActive={false} type="monotone" dataKey="rollbackRate" name="autonomous rollback rate" stroke="#dc2626" dot={false} strokeWidth={2} connectNulls />
              <Line isAnimationActive={false} type="monotone" dataKey="changeFailureRate" name="change failure rate" stroke="#f59e0b" dot={false} strokeWidth={2} connectNulls />
            </LineChart>
          </ResponsiveContainer>
        )}
      </ChartCard>

      <ChartCard title="Throughput" description="Runs started and successful production deployments per bucket. Click a bucket for its runs." testId="chart-throughput">
        {restDrawn && (
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows} onClick={openBucket("runs_started")} className="cursor-pointer">
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis {...axis} />
              <YAxis tick={{ fontSize: 11 }} width={44} />
              <Tooltip labelFormatter={labelFormatter} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Bar isAnimationActive={false} dataKey="runsStarted" name="runs started" fill="#94a3b8" />
              <Bar isAnimationActive={false} dataKey="deployed" name="deployed to production" fill="#059669" />
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartCard>

      <ChartCard
        title="Escalation reasons and false escalations"
        description="Escalations raised per reason (one with two reasons counts in both), and the share of decided escalations approved without changes."
        testId="chart-escalation-reasons"
      >
        {restDrawn && (
          <ResponsiveContainer width="100%" height="100%">
            <ComposedChart data={rows} onClick={openBucket("escalations_approved")} className="cursor-pointer">
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis {...axis} />
              <YAxis yAxisId="count" tick={{ fontSize: 11 }} width={36} />
              <YAxis yAxisId="share" orientation="right" tickFormatter={(v: number) => formatShare(v)} tick={{ fontSize: 11 }} width={44} domain={[0, 1]} />
              <Tooltip formatter={(value, name) => (name === "false escalations" ? formatShare(value as number) : String(value))} labelFormatter={labelFormatter} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {allReasons.map((reason, i) => (
                <Bar isAnimationActive={false} key={reason} yAxisId="count" dataKey={`count:${reason}`} name={reasonName(reason)} stackId="reasons" fill={reasonColors[i % reasonColors.length]} />
              ))}
              <Line isAnimationActive={false} yAxisId="share" type="monotone" dataKey="falseShare" name="false escalations" stroke="#0f172a" dot={false} strokeWidth={2} connectNulls />
            </ComposedChart>
          </ResponsiveContainer>
        )}
      </ChartCard>
    </div>
  );
}
