/** "3m", "2h 5m", "4d": how long ago, compactly, for cards and lists. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d`;
}

export function riskTone(risk: number | null): string {
  if (risk === null) return "bg-slate-100 text-slate-600";
  if (risk >= 7) return "bg-red-100 text-red-800";
  if (risk >= 4) return "bg-amber-100 text-amber-800";
  return "bg-emerald-100 text-emerald-800";
}

export const statusTone: Record<string, string> = {
  queued: "bg-slate-100 text-slate-700",
  running: "bg-blue-100 text-blue-800",
  escalated: "bg-amber-100 text-amber-800",
  done: "bg-emerald-100 text-emerald-800",
  passed: "bg-emerald-100 text-emerald-800",
  rejected: "bg-red-100 text-red-800",
  changes_requested: "bg-orange-100 text-orange-800",
  failed: "bg-red-100 text-red-800",
  error: "bg-red-100 text-red-800",
  rolled_back: "bg-red-100 text-red-800",
  superseded: "bg-slate-100 text-slate-500",
  cancelled: "bg-slate-100 text-slate-500",
};
