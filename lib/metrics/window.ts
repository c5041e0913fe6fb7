import { z } from "zod";
import { blankAsUnset } from "../blank-as-unset";

/**
 * The period a metrics request asks about, its comparison period and its buckets. All times are
 * UTC: days start at 00:00 UTC and weeks on Monday 00:00 UTC (PostgreSQL's date_trunc).
 */
export const periodPresets = ["7d", "30d", "90d", "210d"] as const;
export type PeriodPreset = (typeof periodPresets)[number];
export const bucketSizes = ["day", "week"] as const;
export type BucketSize = (typeof bucketSizes)[number];
/** Whether simulated runs (ctl simulate-history) are counted: with the real ones, left out, or alone. */
export const simulatedModes = ["include", "exclude", "only"] as const;
export type SimulatedMode = (typeof simulatedModes)[number];

const DAY_MS = 86_400_000;
const MAX_DAYS = 730;
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-05-01");

export const metricsQuerySchema = z
  .object({
    period: blankAsUnset(z.enum(periodPresets).optional()),
    from: blankAsUnset(isoDate.optional()),
    to: blankAsUnset(isoDate.optional()),
    bucket: blankAsUnset(z.enum(bucketSizes).optional()),
    repository: blankAsUnset(z.string().trim().min(1).max(200).optional()),
    team: blankAsUnset(z.string().trim().min(1).max(200).optional()),
    simulated: blankAsUnset(z.enum(simulatedModes).default("include")),
  })
  .superRefine((query, ctx) => {
    if (query.period && (query.from || query.to)) {
      ctx.addIssue({ code: "custom", path: ["period"], message: "give either period or from/to, not both" });
    }
    if (Boolean(query.from) !== Boolean(query.to)) {
      ctx.addIssue({ code: "custom", path: [query.from ? "to" : "from"], message: "from and to go together" });
    }
    if (query.from && query.to) {
      const days = (Date.parse(query.to) - Date.parse(query.from)) / DAY_MS;
      if (!(days >= 1)) ctx.addIssue({ code: "custom", path: ["to"], message: "must be at least one day after from" });
      else if (days > MAX_DAYS) ctx.addIssue({ code: "custom", path: ["to"], message: `a period is at most ${MAX_DAYS} days` });
    }
  });
export type MetricsQuery = z.infer<typeof metricsQuerySchema>;

export interface MetricsFilters {
  repository: string | null;
  team: string | null;
  simulated: SimulatedMode;
}

export interface MetricsWindow {
  /** Inclusive start of the period. */
  from: Date;
  /** Exclusive end of the period. */
  to: Date;
  /** Inclusive start of the comparison period, which ends at `from` and is as long. */
  previousFrom: Date;
  days: number;
  bucket: BucketSize;
}

export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** The start of the bucket `at` falls in: its UTC day, or the Monday of its UTC week. */
export function bucketStart(at: Date, bucket: BucketSize): Date {
  const day = startOfUtcDay(at);
  if (bucket === "day") return day;
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  return new Date(day.getTime() - sinceMonday * DAY_MS);
}

export function bucketKey(at: Date, bucket: BucketSize): string {
  return bucketStart(at, bucket).toISOString().slice(0, 10);
}

/** Every bucket that overlaps [from, to), in order: the x axis of every trend. */
export function bucketKeys(window: Pick<MetricsWindow, "from" | "to" | "bucket">): string[] {
  const keys: string[] = [];
  const step = window.bucket === "day" ? DAY_MS : 7 * DAY_MS;
  for (let at = bucketStart(window.from, window.bucket).getTime(); at < window.to.getTime(); at += step) {
    keys.push(new Date(at).toISOString().slice(0, 10));
  }
  return keys;
}

/**
 * Resolves a query into dates. A preset period ends at the end of today (UTC), so its numbers are
 * stable through the day and include today. A custom period is [from, to): the day `to` itself is
 * not in it, as every range here includes its start and excludes its end.
 */
export function resolveWindow(query: MetricsQuery, now: Date = new Date()): MetricsWindow {
  let from: Date;
  let to: Date;
  if (query.from && query.to) {
    from = new Date(`${query.from}T00:00:00.000Z`);
    to = new Date(`${query.to}T00:00:00.000Z`);
  } else {
    const days = Number((query.period ?? "30d").replace("d", ""));
    to = new Date(startOfUtcDay(now).getTime() + DAY_MS);
    from = new Date(to.getTime() - days * DAY_MS);
  }
  const length = to.getTime() - from.getTime();
  const days = length / DAY_MS;
  return { from, to, previousFrom: new Date(from.getTime() - length), days, bucket: query.bucket ?? (days <= 31 ? "day" : "week") };
}

export function resolveFilters(query: MetricsQuery): MetricsFilters {
  return { repository: query.repository ?? null, team: query.team ?? null, simulated: query.simulated };
}

/** Reads the query from URL search parameters (the API's and the page's). */
export function metricsQueryFromParams(params: URLSearchParams): MetricsQuery {
  const pick = (name: string) => params.get(name) ?? undefined;
  return metricsQuerySchema.parse({
    period: pick("period"),
    from: pick("from"),
    to: pick("to"),
    bucket: pick("bucket"),
    repository: pick("repository"),
    team: pick("team"),
    simulated: pick("simulated"),
  });
}
