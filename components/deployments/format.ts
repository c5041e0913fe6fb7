import { formatMeasure, formatNumber } from "@/lib/canary/format";

export { formatMeasure, formatNumber };

export const deploymentStatusTone: Record<string, string> = {
  pending: "bg-slate-100 text-slate-700",
  deploying: "bg-blue-100 text-blue-800",
  canary: "bg-indigo-100 text-indigo-800",
  promoted: "bg-emerald-100 text-emerald-800",
  rolled_back: "bg-red-100 text-red-800",
  failed: "bg-red-100 text-red-800",
};

/** Verdict colors, used by the chart markers and the tables alike. */
export const verdictColor: Record<string, string> = {
  pass: "#059669",
  ok: "#059669",
  marginal: "#d97706",
  fail: "#dc2626",
  failed: "#dc2626",
  breach: "#dc2626",
  no_data: "#64748b",
};

export const verdictTone: Record<string, string> = {
  pass: "bg-emerald-100 text-emerald-800",
  ok: "bg-emerald-100 text-emerald-800",
  marginal: "bg-amber-100 text-amber-800",
  fail: "bg-red-100 text-red-800",
  failed: "bg-red-100 text-red-800",
  breach: "bg-red-100 text-red-800",
  no_data: "bg-slate-100 text-slate-600",
};

export const cohortColor = { canary: "#7c3aed", baseline: "#0891b2" } as const;
export const thresholdColor = "#dc2626";

export function label(value: string): string {
  return value.replaceAll("_", " ");
}

/** Metric names as people say them. */
const metricNames: Record<string, string> = {
  error_rate_percent: "error rate",
  p99_latency_ms: "p99 latency",
  error_rate: "error rate",
  p99_latency: "p99 latency",
  canary_score: "canary score",
};
export function metricName(name: string): string {
  return metricNames[name] ?? label(name);
}

// Intl formatters are costly to create (toLocaleTimeString makes one per call); a chart formats
// hundreds of times per render, so they are made once.
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const minuteFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });

/** 14:03:20, with the date when it is not today's. */
export function formatClock(at: string | number): string {
  const date = new Date(at);
  const time = clockFormat.format(date);
  return date.toDateString() === new Date().toDateString() ? time : `${dayFormat.format(date)} ${time}`;
}

/** A time-axis tick: the day at midnight on long axes, else the time, with seconds on short ones. */
export function formatTick(t: number, step: number): string {
  const date = new Date(t);
  if (step >= 24 * 3_600_000) return dayFormat.format(date);
  if (step >= 3 * 3_600_000 && date.getHours() === 0 && date.getMinutes() === 0) return dayFormat.format(date);
  return (step < 60_000 ? clockFormat : minuteFormat).format(date);
}

/** "4m 10s", "2h 5m", "1d 3h": a deployment's length or an offset into it. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function optionalMeasure(value: number | null | undefined, unit: string | null): string {
  return value === null || value === undefined ? "–" : formatMeasure(value, unit);
}
