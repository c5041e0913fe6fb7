/** "42m", "6.4h", "4.2d": hours, compactly, with the unit a manager reads fastest. */
export function formatHours(hours: number | null | undefined): string {
  if (hours === null || hours === undefined || Number.isNaN(hours)) return "–";
  if (hours < 1) return `${Math.round(hours * 60)}m`;
  if (hours < 48) return `${hours.toFixed(1)}h`;
  return `${(hours / 24).toFixed(1)}d`;
}

export function formatShare(share: number | null | undefined): string {
  if (share === null || share === undefined) return "–";
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

export function formatPerDay(perDay: number | null | undefined): string {
  if (perDay === null || perDay === undefined) return "–";
  return `${perDay < 10 ? perDay.toFixed(1) : Math.round(perDay)}/day`;
}

export function formatChange(change: number | null): string {
  if (change === null) return "no comparison";
  const percent = change * 100;
  if (Math.abs(percent) < 0.5) return "±0%";
  return `${percent > 0 ? "+" : "−"}${Math.abs(percent).toFixed(Math.abs(percent) < 10 ? 1 : 0)}%`;
}

export function formatUnit(value: number | null, unit: "hours" | "share" | "per_day"): string {
  return unit === "hours" ? formatHours(value) : unit === "share" ? formatShare(value) : formatPerDay(value);
}

const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * "Mar 2" for a day bucket ("YYYY-MM-DD", UTC), "wk Mar 2" for a week. Read off the string, not
 * through Intl: Recharts formats every tick of every chart several times per render, and
 * toLocaleDateString (a new formatter per call) took most of the metrics page's render time.
 */
export function bucketLabel(bucket: string, size: "day" | "week"): string {
  const text = `${monthNames[Number(bucket.slice(5, 7)) - 1]} ${Number(bucket.slice(8, 10))}`;
  return size === "week" ? `wk ${text}` : text;
}
