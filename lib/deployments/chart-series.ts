/**
 * What the canary charts draw, derived from a deployment's raw samples and steps. Pure: the API
 * computes the display rows (`?samples=display`) so a page with a long canary downloads a few
 * hundred rows per chart instead of every sample; the raw samples stay whole for the JSON API and
 * the CSV export.
 */
import { downsampleMinMax } from "./downsample";
import type { MetricSamplePoint } from "./load-deployment";
import type { WeightPoint } from "./steps";

export type ChartMetric = "errorRate" | "p99Ms";

export interface CohortSamples {
  canary: MetricSamplePoint[];
  baseline: MetricSamplePoint[];
}

/** One instant of one metric for both cohorts; a cohort without a sample at that instant is null. */
export interface MetricRow {
  t: number;
  canary: number | null;
  baseline: number | null;
  canaryRequests: number | null;
  baselineRequests: number | null;
}

export interface ChartRows {
  errorRate: MetricRow[];
  p99Ms: MetricRow[];
  /** Raw samples behind the rows, both cohorts. */
  rawCount: number;
  /** The first and last sample's time (ms), either cohort; null without samples. */
  span: [number, number] | null;
}

/**
 * Rows per cohort and chart for display. Each bucket keeps its minimum and maximum, so ~300
 * buckets across a chart about 1,000 px wide draw the same envelope as every raw sample would.
 */
export const DISPLAY_POINTS_PER_COHORT = 600;

interface JoinedRow {
  t: number;
  canary: MetricSamplePoint | null;
  baseline: MetricSamplePoint | null;
}

/** Both cohorts' samples side by side, on the union of their times. */
function joinOnTime({ canary, baseline }: CohortSamples): JoinedRow[] {
  const rows: JoinedRow[] = [];
  let c = 0;
  let b = 0;
  let tc = canary.length > 0 ? Date.parse(canary[0].at) : Infinity;
  let tb = baseline.length > 0 ? Date.parse(baseline[0].at) : Infinity;
  while (c < canary.length || b < baseline.length) {
    const t = Math.min(tc, tb);
    const row: JoinedRow = { t, canary: null, baseline: null };
    if (tc === t) {
      row.canary = canary[c++];
      tc = c < canary.length ? Date.parse(canary[c].at) : Infinity;
    }
    if (tb === t) {
      row.baseline = baseline[b++];
      tb = b < baseline.length ? Date.parse(baseline[b].at) : Infinity;
    }
    rows.push(row);
  }
  return rows;
}

/**
 * The rows of the error-rate and the latency chart, at most `maxPointsPerCohort` per cohort each:
 * each cohort keeps its own minima and maxima of that metric, so a canary spike survives even
 * where the baseline is flat. Rows are joined on time, so a tooltip shows canary and baseline of
 * the same interval side by side. Flat rows, so the chart reads them by key.
 */
export function chartRows(samples: CohortSamples, maxPointsPerCohort: number): ChartRows {
  const joined = joinOnTime(samples);
  const x = (row: JoinedRow) => row.t;
  const forMetric = (metric: ChartMetric): MetricRow[] => {
    const keep = new Set<JoinedRow>([
      ...downsampleMinMax(joined, { maxPoints: maxPointsPerCohort, x, y: (row) => row.canary?.[metric] ?? Number.NaN }),
      ...downsampleMinMax(joined, { maxPoints: maxPointsPerCohort, x, y: (row) => row.baseline?.[metric] ?? Number.NaN }),
    ]);
    return joined
      .filter((row) => keep.has(row))
      .map((row) => ({
        t: row.t,
        canary: row.canary?.[metric] ?? null,
        baseline: row.baseline?.[metric] ?? null,
        canaryRequests: row.canary?.requests ?? null,
        baselineRequests: row.baseline?.requests ?? null,
      }));
  };
  return {
    errorRate: forMetric("errorRate"),
    p99Ms: forMetric("p99Ms"),
    rawCount: samples.canary.length + samples.baseline.length,
    span: joined.length > 0 ? [joined[0].t, joined[joined.length - 1].t] : null,
  };
}

/** The candidate's traffic as a step line: 0 until the first weighted step, held to the end. */
export function weightRows(history: readonly WeightPoint[], domain: readonly [number, number]): { t: number; weight: number }[] {
  const rows = history.map((point) => ({ t: Date.parse(point.at), weight: point.weight }));
  if (rows.length === 0 || rows[0].t > domain[0]) rows.unshift({ t: domain[0], weight: 0 });
  const last = rows[rows.length - 1];
  if (last.t < domain[1]) rows.push({ t: domain[1], weight: last.weight });
  return rows;
}

/**
 * The shared time axis of the charts: from the start (or the first sample) to the end (or the
 * last sample or step); a live deployment's axis runs to now.
 */
export function timeDomain(options: {
  startedAt: string;
  finishedAt: string | null;
  live: boolean;
  now: number;
  sampleSpan: readonly [number, number] | null;
  stepTimes: readonly string[];
}): [number, number] {
  const times = [Date.parse(options.startedAt), ...(options.sampleSpan ?? [])];
  for (const at of options.stepTimes) times.push(Date.parse(at));
  if (options.finishedAt) times.push(Date.parse(options.finishedAt));
  if (options.live) times.push(options.now);
  const start = Math.min(...times);
  const end = Math.max(...times);
  return [start, end > start ? end : start + 60_000];
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const tickSteps = [10 * SECOND, 30 * SECOND, MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, 24 * HOUR];

/**
 * Time-axis ticks on round clock times (every 30 s, 5 min, 1 h …), about `count` of them, so the
 * axis reads 14:00, 14:05, 14:10 rather than arbitrary instants. Steps of an hour or less are
 * aligned in UTC, which is the local alignment too wherever the offset is whole hours.
 */
export function timeTicks(domain: readonly [number, number], count = 6): { ticks: number[]; step: number } {
  const [start, end] = domain;
  const step = tickSteps.find((candidate) => (end - start) / candidate <= count) ?? Math.ceil((end - start) / count / (24 * HOUR)) * 24 * HOUR;
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) ticks.push(t);
  return { ticks, step };
}
