import type { Db } from "../db/client";
import { attemptFactsSql, decisionFactsSql, deploymentFactsSql, duringRanges, escalationReasonFactsSql, humanFactsSql, runFactsSql } from "./daily-facts";
import { addCount, emptyPeriodStats, emptyStageTimes, type MetricsReport, type PeriodStats, type StageTime } from "./report";
import { splitByRollup, type RollupCoverage } from "./rollup-coverage";
import { keyScopeSql, SqlParams } from "./sql-scope";
import { bucketKeys, type MetricsFilters, type MetricsWindow } from "./window";

/**
 * The metrics report, aggregated by PostgreSQL from two sources that never overlap: the rollup's
 * rows for the days it holds (MetricsRollupDay, kept by refresh-metrics-rollup.ts), and the facts
 * of daily-facts.ts read live from the pipeline tables for every other day of the window (today,
 * recent days, days changed since the last refresh, or all of them before any refresh). Each
 * statement returns a few hundred grouped rows at most, and the five run concurrently. The
 * definitions are those of the reference computation in test/support/metrics-reference.ts, which
 * a test holds this equal to.
 */

type Period = "current" | "previous";

/** Where each day of the window is read from: for the comparison period too, or the current one only. */
interface Sources {
  both: RollupCoverage;
  current: RollupCoverage;
}

/**
 * Parameters and SQL pieces for one statement, added as the statement uses them (PostgreSQL
 * rejects a parameter that no part of the statement uses, since it cannot infer its type).
 */
function statement(window: MetricsWindow, filters: MetricsFilters, coverage: RollupCoverage) {
  const params = new SqlParams();
  const placeholders = new Map<string, string>();
  const once = (name: string, add: () => string) => {
    if (!placeholders.has(name)) placeholders.set(name, add());
    return placeholders.get(name)!;
  };
  const from = () => once("from", () => params.at(window.from));
  const bucket = () => once("bucket", () => params.add(window.bucket));
  const periodOf = (column: string) => `CASE WHEN ${column} >= ${from()} THEN 'current' ELSE 'previous' END`;
  // Grouped as a timestamp and formatted once per group: to_char on every row costs more than the rest.
  const bucketOf = (column: string) => `date_trunc(${bucket()}, ${column})`;
  /** Rollup rows `u` of the rolled-up days, in the filters' scope. */
  const rolledUp = () =>
    once("rolledUp", () => `u.day = ANY(${params.add(coverage.rolledUp)}::date[])${keyScopeSql(filters, params, { repositoryId: 'u."repositoryId"', team: "u.team", simulated: "u.simulated" })}`);
  /** Facts `f` of the live days, in the filters' scope. */
  const during = duringRanges(coverage.live, params);
  const factScope = () => once("factScope", () => keyScopeSql(filters, params, { repositoryId: "f.repository_id", team: "f.team", simulated: "f.simulated" }));
  return { params, periodOf, bucketOf, rolledUp, during, factScope };
}

interface RunRow {
  period: Period;
  bucket: string;
  primary_reason: string | null;
  started: number;
  decided: number;
  escalated: number;
}

function queryRuns(db: Db, window: MetricsWindow, filters: MetricsFilters, sources: Sources) {
  const q = statement(window, filters, sources.both);
  return db.$queryRawUnsafe<RunRow[]>(
    `WITH facts AS (
       SELECT u.day::timestamp AS at, NULL::text AS primary_reason, u."runsStarted" AS started, u."runsDecided" AS decided, 0 AS escalated
         FROM "MetricsDailyRollup" u WHERE ${q.rolledUp()} AND u."runsStarted" > 0
       UNION ALL
       SELECT u.day::timestamp, u.reason, 0, 0, u."runsEscalated"
         FROM "MetricsDailyReasonRollup" u WHERE ${q.rolledUp()} AND u."runsEscalated" > 0
       UNION ALL
       SELECT f.at, f.primary_reason, 1, f.decided::int, (f.primary_reason IS NOT NULL)::int FROM (${runFactsSql(q.during)}) f WHERE true${q.factScope()})
     SELECT period, to_char(bucket, 'YYYY-MM-DD') AS bucket, primary_reason, started, decided, escalated
       FROM (SELECT ${q.periodOf("at")} AS period, ${q.bucketOf("at")} AS bucket, primary_reason,
                    sum(started)::int AS started, sum(decided)::int AS decided, sum(escalated)::int AS escalated
               FROM facts GROUP BY 1, 2, 3) grouped`,
    ...q.params.values,
  );
}

interface DeploymentRow {
  period: Period;
  bucket: string | null;
  deployments: number;
  promoted: number;
  rollbacks: number;
  failures: number;
  unrestored: number;
  lead_count: number | null;
  lead_mean: number | null;
  lead_median: number | null;
  lead_p90: number | null;
  restored: number | null;
  restore_median: number | null;
}

function queryDeployments(db: Db, window: MetricsWindow, filters: MetricsFilters, sources: Sources) {
  const q = statement(window, filters, sources.both);
  // Percentiles do not add up, so they are taken over every lead and restore time of the period
  // or bucket: the rollup keeps each day's as an array, the live facts add theirs one by one.
  return db.$queryRawUnsafe<DeploymentRow[]>(
    `WITH facts AS (
       SELECT u.day::timestamp AS at, u.deployments, u."deploymentsPromoted" AS promoted, u.rollbacks, u."changeFailures" AS failures,
              u."unrestoredFailures" AS unrestored, u."leadHours" AS lead_hours, u."restoreHours" AS restore_hours
         FROM "MetricsDailyRollup" u WHERE ${q.rolledUp()} AND u.deployments > 0
       UNION ALL
       SELECT f.at, 1, (f.status = 'promoted')::int, (f.status = 'rolled_back')::int, f.failure::int, (f.failure AND f.restore_hours IS NULL)::int,
              CASE WHEN f.lead_hours IS NULL THEN '{}' ELSE ARRAY[f.lead_hours] END, CASE WHEN f.restore_hours IS NULL THEN '{}' ELSE ARRAY[f.restore_hours] END
         FROM (${deploymentFactsSql(q.during)}) f WHERE true${q.factScope()}),
     placed AS (SELECT ${q.periodOf("at")} AS period, ${q.bucketOf("at")} AS bucket, facts.* FROM facts),
     counted AS (
       SELECT period, bucket, sum(deployments)::int AS deployments, sum(promoted)::int AS promoted, sum(rollbacks)::int AS rollbacks,
              sum(failures)::int AS failures, sum(unrestored)::int AS unrestored
         FROM placed GROUP BY GROUPING SETS ((period, bucket), (period))),
     -- Each group's values are gathered by hashing, then sorted once for its percentiles: cheaper
     -- than sorting every value by group first, as an ordered-set aggregate would.
     lead AS (
       SELECT grouped.period, grouped.bucket, cardinality(grouped.hours)::int AS lead_count, stats.lead_mean, stats.lead_percentiles
         FROM (SELECT period, bucket, array_agg(hours) AS hours
                 FROM placed, unnest(lead_hours) AS hours GROUP BY GROUPING SETS ((period, bucket), (period))) grouped
        CROSS JOIN LATERAL (
          SELECT avg(h) AS lead_mean, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h) AS lead_percentiles FROM unnest(grouped.hours) AS h) stats),
     restore AS (
       SELECT period, bucket, count(*)::int AS restored, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS restore_median
         FROM placed, unnest(restore_hours) AS hours GROUP BY GROUPING SETS ((period, bucket), (period)))
     SELECT c.period, to_char(c.bucket, 'YYYY-MM-DD') AS bucket, c.deployments, c.promoted, c.rollbacks, c.failures, c.unrestored,
            l.lead_count, l.lead_mean, l.lead_percentiles[1] AS lead_median, l.lead_percentiles[2] AS lead_p90, r.restored, r.restore_median
       FROM counted c
       LEFT JOIN lead l ON l.period = c.period AND l.bucket IS NOT DISTINCT FROM c.bucket
       LEFT JOIN restore r ON r.period = c.period AND r.bucket IS NOT DISTINCT FROM c.bucket`,
    ...q.params.values,
  );
}

interface ReasonRow {
  period: Period;
  bucket: string;
  reason: string;
  escalations: number;
}

function queryEscalationReasons(db: Db, window: MetricsWindow, filters: MetricsFilters, sources: Sources) {
  const q = statement(window, filters, sources.both);
  return db.$queryRawUnsafe<ReasonRow[]>(
    `WITH facts AS (
       SELECT u.day::timestamp AS at, u.reason, u.escalations
         FROM "MetricsDailyReasonRollup" u WHERE ${q.rolledUp()} AND u.escalations > 0
       UNION ALL
       SELECT f.at, f.reason, 1 FROM (${escalationReasonFactsSql(q.during)}) f WHERE true${q.factScope()})
     SELECT period, to_char(bucket, 'YYYY-MM-DD') AS bucket, reason, escalations
       FROM (SELECT ${q.periodOf("at")} AS period, ${q.bucketOf("at")} AS bucket, reason, sum(escalations)::int AS escalations
               FROM facts GROUP BY 1, 2, 3) grouped`,
    ...q.params.values,
  );
}

interface DecisionRow {
  period: Period;
  bucket: string;
  decided: number;
  approved: number;
}

function queryDecisions(db: Db, window: MetricsWindow, filters: MetricsFilters, sources: Sources) {
  const q = statement(window, filters, sources.both);
  return db.$queryRawUnsafe<DecisionRow[]>(
    `WITH facts AS (
       SELECT u.day::timestamp AS at, u."escalationsDecided" AS decided, u."escalationsApproved" AS approved
         FROM "MetricsDailyRollup" u WHERE ${q.rolledUp()} AND u."escalationsDecided" > 0
       UNION ALL
       SELECT f.at, 1, f.approved::int FROM (${decisionFactsSql(q.during)}) f WHERE true${q.factScope()})
     SELECT period, to_char(bucket, 'YYYY-MM-DD') AS bucket, decided, approved
       FROM (SELECT ${q.periodOf("at")} AS period, ${q.bucketOf("at")} AS bucket, sum(decided)::int AS decided, sum(approved)::int AS approved
               FROM facts GROUP BY 1, 2) grouped`,
    ...q.params.values,
  );
}

interface StageRow {
  bucket: string;
  stage: string;
  runs: number;
  queue_hours: number;
  agent_hours: number;
  human_hours: number;
}

/** Where the time goes, over the current period only. */
function queryStageTimes(db: Db, window: MetricsWindow, filters: MetricsFilters, sources: Sources) {
  const q = statement(window, filters, sources.current);
  return db.$queryRawUnsafe<StageRow[]>(
    `WITH facts AS (
       SELECT u.day::timestamp AS at, u.stage::text AS stage, u.runs, u."queueHours" AS queue_hours, u."agentHours" AS agent_hours, u."humanHours" AS human_hours
         FROM "MetricsDailyStageRollup" u WHERE ${q.rolledUp()}
       UNION ALL
       SELECT f.at, f.stage, f.first_attempt::int, f.queue_hours, f.agent_hours, 0 FROM (${attemptFactsSql(q.during)}) f WHERE true${q.factScope()}
       UNION ALL
       SELECT f.at, f.stage, 0, 0, 0, f.human_hours FROM (${humanFactsSql(q.during)}) f WHERE true${q.factScope()})
     SELECT to_char(bucket, 'YYYY-MM-DD') AS bucket, stage, runs, queue_hours, agent_hours, human_hours
       FROM (SELECT ${q.bucketOf("at")} AS bucket, stage, sum(runs)::int AS runs, sum(queue_hours) AS queue_hours,
                    sum(agent_hours) AS agent_hours, sum(human_hours) AS human_hours
               FROM facts GROUP BY 1, 2) grouped`,
    ...q.params.values,
  );
}

interface RolledUpDay {
  day: string;
  closed_at: Date;
}

/** The rolled-up days around the window, with when each was rolled up. */
function rolledUpDays(db: Db, window: MetricsWindow) {
  return db.$queryRawUnsafe<RolledUpDay[]>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, "closedAt" AS closed_at FROM "MetricsRollupDay" WHERE day >= $1::timestamp::date AND day < $2::timestamp::date + 1`,
    window.previousFrom.toISOString(),
    window.to.toISOString(),
  );
}

/** Attempts before giving up on the rollup for one answer (see below). */
const ROLLUP_ATTEMPTS = 3;

/**
 * The five statements run concurrently, each in its own snapshot, and read the rollup for the days
 * listed before they started. A day's rows only change while it is not listed (a refresh rewrites
 * a day and lists it again in one transaction, with a new closedAt), so if every day used is still
 * listed with the same closedAt afterwards, every statement read current rows. Otherwise (a late
 * change or a refresh meanwhile, which is rare) the answer is computed again; after a few tries,
 * entirely live.
 */
async function queryAll(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  for (let attempt = 1; ; attempt++) {
    const listed = attempt < ROLLUP_ATTEMPTS ? await rolledUpDays(db, window) : [];
    const days = listed.map((row) => row.day);
    const sources: Sources = {
      both: splitByRollup({ from: window.previousFrom, to: window.to }, window.from, days),
      current: splitByRollup({ from: window.from, to: window.to }, window.from, days),
    };
    const results = await Promise.all([
      queryRuns(db, window, filters, sources),
      queryDeployments(db, window, filters, sources),
      queryEscalationReasons(db, window, filters, sources),
      queryDecisions(db, window, filters, sources),
      queryStageTimes(db, window, filters, sources),
    ] as const);
    if (sources.both.rolledUp.length === 0) return results;
    const closedAt = new Map(listed.map((row) => [row.day, row.closed_at.getTime()]));
    const after = new Map((await rolledUpDays(db, window)).map((row) => [row.day, row.closed_at.getTime()]));
    if (sources.both.rolledUp.every((day) => after.get(day) === closedAt.get(day))) return results;
  }
}

export async function queryMetrics(db: Db, window: MetricsWindow, filters: MetricsFilters): Promise<MetricsReport> {
  const [runs, deployments, reasons, decisions, stageTimes] = await queryAll(db, window, filters);

  const keys = bucketKeys(window);
  const periods: Record<Period, PeriodStats> = { current: emptyPeriodStats(), previous: emptyPeriodStats() };
  const buckets = new Map(keys.map((key) => [key, emptyPeriodStats()]));
  /** The stats a grouped row adds to: its period's and, for the current period, its bucket's. */
  const targets = (period: Period, bucket: string | null): PeriodStats[] => {
    if (period === "previous") return [periods.previous];
    const inBucket = bucket === null ? undefined : buckets.get(bucket);
    return inBucket ? [periods.current, inBucket] : [periods.current];
  };

  for (const row of runs) {
    for (const stats of targets(row.period, row.bucket)) {
      stats.runsStarted += row.started;
      stats.runsDecided += row.decided;
      if (row.primary_reason !== null) {
        stats.runsEscalated += row.escalated;
        addCount(stats.escalatedByPrimaryReason, row.primary_reason, row.escalated);
      }
    }
  }
  for (const row of reasons) for (const stats of targets(row.period, row.bucket)) addCount(stats.escalationReasons, row.reason, row.escalations);
  for (const row of decisions) {
    for (const stats of targets(row.period, row.bucket)) {
      stats.escalationsDecided += row.decided;
      stats.escalationsApproved += row.approved;
    }
  }
  // Deployment rows come per bucket and per period (GROUPING SETS), since percentiles do not add up.
  for (const row of deployments) {
    const stats = row.bucket === null ? periods[row.period] : row.period === "current" ? buckets.get(row.bucket) : undefined;
    if (!stats) continue;
    Object.assign(stats, {
      deployments: row.deployments,
      deploymentsPromoted: row.promoted,
      rollbacks: row.rollbacks,
      changeFailures: row.failures,
      leadTime: { count: row.lead_count ?? 0, meanHours: row.lead_mean, medianHours: row.lead_median, p90Hours: row.lead_p90 },
      restore: { restored: row.restored ?? 0, unrestored: row.unrestored, medianHours: row.restore_median },
    });
  }

  const stageTotals = emptyStageTimes();
  const stageBuckets = new Map(keys.map((key) => [key, emptyStageTimes()]));
  const stageIn = (list: StageTime[] | undefined, stage: string) => list?.find((time) => time.stage === stage);
  // Every part is a count or a sum, so the period's totals are the buckets' added up.
  for (const row of stageTimes) {
    for (const list of [stageTotals, stageBuckets.get(row.bucket)]) {
      const time = stageIn(list, row.stage);
      if (!time) continue;
      time.runs += row.runs;
      time.queueHours += row.queue_hours;
      time.agentHours += row.agent_hours;
      time.humanHours += row.human_hours;
    }
  }

  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), previousFrom: window.previousFrom.toISOString(), days: window.days, bucket: window.bucket },
    filters,
    current: periods.current,
    previous: periods.previous,
    series: keys.map((bucket) => ({ bucket, ...buckets.get(bucket)! })),
    stageTotals,
    stageSeries: keys.map((bucket) => ({ bucket, stages: stageBuckets.get(bucket)! })),
  };
}
