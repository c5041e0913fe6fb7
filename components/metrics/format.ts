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

/** "Mar 2" for a day bucket, "wk of Mar 2" for a week. */
export function bucketLabel(bucket: string, size: "day" | "week"): string {
  const date = new Date(`${bucket}T00:00:00Z`);
  const text = date.toLocaleDateString("en", { month: "short", day: "numeric", timeZone: "UTC" });
  return size === "week" ? `wk ${text}` : text;
}
