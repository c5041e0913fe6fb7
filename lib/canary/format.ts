/** Numbers in verdict reasons: short enough to read, precise enough to check against the threshold. */

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e7 || magnitude < 1e-3) return value.toExponential(2);
  const text = magnitude >= 1000 ? value.toFixed(0) : magnitude >= 100 ? value.toFixed(1) : magnitude >= 1 ? value.toFixed(2) : value.toPrecision(3);
  // 250.0 → 250, 0.500 → 0.5, but never strip an integer's own zeros (1200).
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A value with its unit: "42.1 ms", "0.62%", or the bare number. */
export function formatMeasure(value: number, unit: string | null): string {
  const number = formatNumber(value);
  if (!unit) return number;
  return unit === "%" ? `${number}%` : `${number} ${unit}`;
}

/** A signed difference: "+42.1 ms", "−3 ms", "0 ms". */
export function formatShift(value: number, unit: string | null): string {
  const measure = formatMeasure(Math.abs(value), unit);
  if (value > 0) return `+${measure}`;
  if (value < 0) return `−${measure}`;
  return measure;
}

export function formatPercent(fraction: number): string {
  return `${formatNumber(fraction * 100)}%`;
}
