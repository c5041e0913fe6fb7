/**
 * Which days of a time span the metrics query reads from the rollup and which it computes live
 * from the pipeline tables. Pure, so the boundaries are tested without a database.
 */

export interface TimeRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface RollupCoverage {
  /** Rolled-up days (YYYY-MM-DD, UTC) read from the rollup tables. */
  rolledUp: string[];
  /** Everything else in the span, as maximal ranges, oldest first. */
  live: TimeRange[];
}

const DAY_MS = 86_400_000;
const dayStart = (day: string) => new Date(`${day}T00:00:00.000Z`);

/**
 * Splits `span` between the rollup and the live query. A rolled-up day is used only when it lies
 * wholly inside the span and on one side of `periodStart` (a day counts in one period whole).
 * Windows made by resolveWindow start and end at midnight UTC, so there every rolled-up day of the
 * span is used.
 */
export function splitByRollup(span: TimeRange, periodStart: Date, rolledUpDays: readonly string[]): RollupCoverage {
  const used = [...new Set(rolledUpDays)]
    .map((day) => ({ day, from: dayStart(day).getTime() }))
    .filter(({ from }) => {
      const to = from + DAY_MS;
      return from >= span.from.getTime() && to <= span.to.getTime() && (from >= periodStart.getTime() || to <= periodStart.getTime());
    })
    .sort((a, b) => a.from - b.from);
  const live: TimeRange[] = [];
  let cursor = span.from.getTime();
  for (const { from } of used) {
    if (from > cursor) live.push({ from: new Date(cursor), to: new Date(from) });
    cursor = from + DAY_MS;
  }
  if (cursor < span.to.getTime()) live.push({ from: new Date(cursor), to: span.to });
  return { rolledUp: used.map(({ day }) => day), live };
}

/** Days (YYYY-MM-DD) as maximal ranges of consecutive days. */
export function dayRanges(days: readonly string[]): TimeRange[] {
  const starts = [...new Set(days)].map((day) => dayStart(day).getTime()).sort((a, b) => a - b);
  const ranges: TimeRange[] = [];
  for (const from of starts) {
    const last = ranges.at(-1);
    if (last && last.to.getTime() === from) last.to = new Date(from + DAY_MS);
    else ranges.push({ from: new Date(from), to: new Date(from + DAY_MS) });
  }
  return ranges;
}
