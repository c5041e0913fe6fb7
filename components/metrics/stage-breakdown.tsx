"use client";

import Link from "next/link";
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { MetricsAnswer } from "@/lib/metrics/load-metrics";
import type { StageTime } from "@/lib/metrics/report";
import { stageLabels, type Stage } from "@/lib/pipeline/stages";
import { bucketLabel, formatHours, formatShare } from "./format";
import { drillDownHref, type MetricsFilterState } from "./params";
import { useRestOfTheChartsDrawn } from "./trend-charts";

const parts = [
  { key: "agentHours", label: "agent work", color: "#4f46e5" },
  { key: "queueHours", label: "waiting in the queue", color: "#94a3b8" },
  { key: "humanHours", label: "waiting for a person", color: "#f59e0b" },
] as const;

const perRun = (hours: number, runs: number) => (runs === 0 ? null : hours / runs);

/** Hours per run of the selected stages: summed over stages, each stage's total over its own runs. */
function perRunOf(times: StageTime[]) {
  const pick = (key: (typeof parts)[number]["key"]) => times.reduce((sum, t) => sum + (perRun(t[key], t.runs) ?? 0), 0);
  return { agentHours: pick("agentHours"), queueHours: pick("queueHours"), humanHours: pick("humanHours") };
}

/** Where the time goes: per stage, agent work vs queue vs waiting for a person, over time and in a table. */
export function StageBreakdown({ report, filters, definition }: { report: MetricsAnswer; filters: MetricsFilterState; definition: string }) {
  const [stage, setStage] = useState<string>("all");
  const drawn = useRestOfTheChartsDrawn();
  const chosen = (times: StageTime[]) => (stage === "all" ? times : times.filter((t) => t.stage === stage));
  const rows = report.stageSeries.map((b) => ({ bucket: b.bucket, ...perRunOf(chosen(b.stages)) }));
  const totalPerRun = (t: StageTime) => perRun(t.agentHours + t.queueHours + t.humanHours, t.runs);
  const grand = report.stageTotals.reduce((sum, t) => sum + (totalPerRun(t) ?? 0), 0);

  return (
    <section className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="stage-breakdown">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 className="text-sm font-semibold text-slate-900">Where the time goes</h2>
          <p className="mt-0.5 max-w-3xl text-xs text-slate-500" id="definition-stage-time">
            {definition}
          </p>
        </div>
        <label className="flex items-center gap-2 text-xs text-slate-600">
          Stage
          <select value={stage} onChange={(e) => setStage(e.target.value)} className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm" aria-label="Stage shown in the chart">
            <option value="all">All stages</option>
            {report.stageTotals.map((t) => (
              <option key={t.stage} value={t.stage}>
                {stageLabels[t.stage as Stage] ?? t.stage}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="mt-3 h-64">
        {drawn && (
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={rows}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
              <XAxis dataKey="bucket" tickFormatter={(b: string) => bucketLabel(b, report.window.bucket)} tick={{ fontSize: 11 }} minTickGap={16} />
              <YAxis tickFormatter={(h: number) => formatHours(h)} tick={{ fontSize: 11 }} width={48} />
              <Tooltip formatter={(value) => formatHours(value as number)} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {parts.map((part) => (
                <Bar isAnimationActive={false} key={part.key} dataKey={part.key} name={part.label} stackId="time" fill={part.color} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        )}
      </div>
      <table className="mt-4 w-full text-left text-sm" data-testid="stage-table">
        <thead className="text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="py-1.5 font-medium">Stage</th>
            <th className="py-1.5 text-right font-medium">Runs</th>
            {parts.map((part) => (
              <th key={part.key} className="py-1.5 text-right font-medium">
                {part.label}
              </th>
            ))}
            <th className="py-1.5 text-right font-medium">Total per run</th>
            <th className="py-1.5 text-right font-medium">Share</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {report.stageTotals.map((t) => {
            const slowest = t.stage === report.slowestStage;
            const total = totalPerRun(t);
            return (
              <tr key={t.stage} className={slowest ? "bg-amber-50 font-medium" : undefined} data-slowest={slowest ? "true" : undefined}>
                <td className="py-1.5">
                  {stageLabels[t.stage as Stage] ?? t.stage}
                  {slowest && <span className="ml-2 rounded bg-amber-200 px-1.5 py-0.5 text-xs text-amber-900">slowest</span>}
                </td>
                <td className="py-1.5 text-right">
                  <Link href={drillDownHref(filters, "stage_attempts", { stage: t.stage })} className="text-indigo-700 hover:underline">
                    {t.runs}
                  </Link>
                </td>
                {parts.map((part) => (
                  <td key={part.key} className="py-1.5 text-right tabular-nums">
                    {formatHours(perRun(t[part.key], t.runs))}
                  </td>
                ))}
                <td className="py-1.5 text-right tabular-nums">{formatHours(total)}</td>
                <td className="py-1.5 text-right tabular-nums">{total === null || grand === 0 ? "–" : formatShare(total / grand)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
