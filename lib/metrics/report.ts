import { stages } from "../pipeline/stages";
import type { BucketSize, MetricsFilters } from "./window";

/**
 * The shape of a metrics answer, and the small pure pieces both implementations share: the SQL
 * aggregation (query-metrics.ts) and the reference computation over a history
 * (test/support/metrics-reference.ts).
 */

export interface LeadTimeStats {
  /** Successful production deployments with a lead time. */
  count: number;
  meanHours: number | null;
  medianHours: number | null;
  p90Hours: number | null;
}

export interface RestoreStats {
  /** Change failures that were restored (rolled back, or followed by a successful deployment). */
  restored: number;
  /** Change failures with no restoration yet. */
  unrestored: number;
  medianHours: number | null;
}

/** Sufficient statistics for one period or one bucket: every headline number derives from these. */
export interface PeriodStats {
  /** Runs created in the period. */
  runsStarted: number;
  /** Of those, runs an agent or a person has decided on (past their first stage's first verdict). */
  runsDecided: number;
  /** Of those, runs escalated to a person at least once. */
  runsEscalated: number;
  /** Escalated runs by the first reason of their first escalation (stacks to runsEscalated). */
  escalatedByPrimaryReason: Record<string, number>;
  /** Escalations a person decided in the period (approved, rejected or changes requested). */
  escalationsDecided: number;
  /** Of those, approved without changes: the "false escalations". */
  escalationsApproved: number;
  /** Escalations created in the period, counted once per reason they carry. */
  escalationReasons: Record<string, number>;
  /** Finished production deployments started in the period (promoted, rolled back or failed). */
  deployments: number;
  deploymentsPromoted: number;
  rollbacks: number;
  /** Rolled back, or carrying an incident report. */
  changeFailures: number;
  leadTime: LeadTimeStats;
  restore: RestoreStats;
}

export interface StageTime {
  stage: string;
  /** Runs whose first attempt of this stage was queued in the bucket. */
  runs: number;
  queueHours: number;
  agentHours: number;
  humanHours: number;
}

export interface MetricsReport {
  window: { from: string; to: string; previousFrom: string; days: number; bucket: BucketSize };
  filters: MetricsFilters;
  current: PeriodStats;
  previous: PeriodStats;
  /** One entry per bucket of the current period, empty buckets included. */
  series: ({ bucket: string } & PeriodStats)[];
  /** Where the time went over the whole current period, one entry per pipeline stage. */
  stageTotals: StageTime[];
  stageSeries: { bucket: string; stages: StageTime[] }[];
}

export function emptyPeriodStats(): PeriodStats {
  return {
    runsStarted: 0,
    runsDecided: 0,
    runsEscalated: 0,
    escalatedByPrimaryReason: {},
    escalationsDecided: 0,
    escalationsApproved: 0,
    escalationReasons: {},
    deployments: 0,
    deploymentsPromoted: 0,
    rollbacks: 0,
    changeFailures: 0,
    leadTime: { count: 0, meanHours: null, medianHours: null, p90Hours: null },
    restore: { restored: 0, unrestored: 0, medianHours: null },
  };
}

export function emptyStageTimes(): StageTime[] {
  return stages.map((stage) => ({ stage, runs: 0, queueHours: 0, agentHours: 0, humanHours: 0 }));
}

/**
 * PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks, at position
 * p·(n−1) of the sorted values. Null for no values, as in SQL.
 */
export function percentileCont(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** A share, or null when there is nothing to divide by (a period with no deployments has no rate). */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

export function leadTimeStats(hours: readonly number[]): LeadTimeStats {
  return { count: hours.length, meanHours: mean(hours), medianHours: percentileCont(hours, 0.5), p90Hours: percentileCont(hours, 0.9) };
}

export function addCount(target: Record<string, number>, key: string, count = 1) {
  target[key] = (target[key] ?? 0) + count;
}

/** The stage with the most time per run (agent, queue and human together), for highlighting. */
export function slowestStage(times: readonly StageTime[]): string | null {
  let slowest: { stage: string; perRun: number } | null = null;
  for (const time of times) {
    if (time.runs === 0) continue;
    const perRun = (time.queueHours + time.agentHours + time.humanHours) / time.runs;
    if (!slowest || perRun > slowest.perRun) slowest = { stage: time.stage, perRun };
  }
  return slowest?.stage ?? null;
}
