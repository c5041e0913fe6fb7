import type { Db } from "../db/client";
import { attemptFactsSql, decisionFactsSql, deploymentFactsSql, escalationReasonFactsSql, humanFactsSql, runFactsSql } from "./daily-facts";
import { addCount, emptyPeriodStats, emptyStageTimes, type MetricsReport, type PeriodStats, type StageTime } from "./report";
import { keyScopeSql, SqlParams } from "./sql-scope";
import { bucketKeys, type MetricsFilters, type MetricsWindow } from "./window";

/**
 * The metrics report, aggregated by PostgreSQL from two sources that never overlap: the rollup's
 * rows for the days it holds (MetricsRollupDay, kept by refresh-metrics-rollup.ts), and the facts
 * of daily-facts.ts read live from the pipeline tables for every other day of the window (today,
 * recent days, days changed since the last refresh, or all of them before any refresh). Each
 * statement picks the rolled-up days and reads both sources in one snapshot, so a refresh or a
 * change committing meanwhile cannot count a day twice or not at all. Each statement returns a few
 * hundred grouped rows at most, and the five run concurrently. The definitions are those of
 * reference.ts, which a test holds this equal to.
 */

type Period = "current" | "previous";

/**
 * Parameters and SQL pieces for one statement, added as the statement uses them (PostgreSQL
 * rejects a parameter that no part of the statement uses, since it cannot infer its type).
 */
function statement(window: MetricsWindow, filters: MetricsFilters) {
  const params = new SqlParams();
  const placeholders = new Map<string, string>();
  const once = (name: string, add: () => string) => {
    if (!placeholders.has(name)) placeholders.set(name, add());
    return placeholders.get(name)!;
  };
  const from = () => once("from", () => params.at(window.from));
  const previousFrom = () => once("previousFrom", () => params.at(window.previousFrom));
  const to = () => once("to", () => params.at(window.to));
  const bucket = () => once("bucket", () => params.add(window.bucket));
  const periodOf = (column: string) => `CASE WHEN ${column} >= ${from()} THEN 'current' ELSE 'previous' END`;
  // Grouped as a timestamp and formatted once per group: to_char on every row costs more than the rest.
  const bucketOf = (column: string) => `date_trunc(${bucket()}, ${column})`;
  const rollupScope = () => once("rollupScope", () => keyScopeSql(filters, params, { repositoryId: 'u."repositoryId"', team: "u.team", simulated: "u.simulated" }));
  const factScope = () => once("factScope", () => keyScopeSql(filters, params, { repositoryId: "f.repository_id", team: "f.team", simulated: "f.simulated" }));

  /**
   * `closed_days`: the rolled-up days inside [start, to), none straddling `from` (a day belongs
   * to one period whole); `ranges`: the rest of [start, to), as maximal ranges, for the live facts.
   */
  const sources = (start: string) => `
    closed_days AS (
      SELECT day, day::timestamp AS lo, day::timestamp + interval '1 day' AS hi FROM "MetricsRollupDay"
       WHERE day::timestamp >= ${start} AND day::timestamp + interval '1 day' <= ${to()}
         AND (day::timestamp >= ${from()} OR day::timestamp + interval '1 day' <= ${from()})),
    ranges AS (
      SELECT gap.lo, gap.hi FROM (
        SELECT COALESCE(lag(c.hi) OVER (ORDER BY c.lo), ${start}) AS lo, c.lo AS hi FROM closed_days c
        UNION ALL
        SELECT COALESCE(max(c.hi), ${start}), ${to()} FROM closed_days c) gap
       WHERE gap.lo < gap.hi)`;
  return { params, from, previousFrom, periodOf, bucketOf, rollupScope, factScope, sources };
}

interface RunRow {
  period: Period;
  bucket: string;
  primary_reason: string | null;
  started: number;
  decided: number;
  escalated: number;
}

function queryRuns(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const q = statement(window, filters);
  return db.$queryRawUnsafe<RunRow[]>(
    `WITH ${q.sources(q.previousFrom())},
     facts AS (
       SELECT u.day::timestamp AS at, NULL::text AS primary_reason, u."runsStarted" AS started, u."runsDecided" AS decided, 0 AS escalated
         FROM "MetricsDailyRollup" u JOIN closed_days c ON c.day = u.day WHERE u."runsStarted" > 0${q.rollupScope()}
       UNION ALL
       SELECT u.day::timestamp, u.reason, 0, 0, u."runsEscalated"
         FROM "MetricsDailyReasonRollup" u JOIN closed_days c ON c.day = u.day WHERE u."runsEscalated" > 0${q.rollupScope()}
       UNION ALL
       SELECT f.at, f.primary_reason, 1, f.decided::int, (f.primary_reason IS NOT NULL)::int FROM (${runFactsSql}) f WHERE true${q.factScope()})
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

function queryDeployments(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const q = statement(window, filters);
  // Percentiles do not add up, so they are taken over every lead and restore time of the period
  // or bucket: the rollup keeps each day's as an array, the live facts add theirs one by one.
  return db.$queryRawUnsafe<DeploymentRow[]>(
    `WITH ${q.sources(q.previousFrom())},
     facts AS (
       SELECT u.day::timestamp AS at, u.deployments, u."deploymentsPromoted" AS promoted, u.rollbacks, u."changeFailures" AS failures,
              u."unrestoredFailures" AS unrestored, u."leadHours" AS lead_hours, u."restoreHours" AS restore_hours
         FROM "MetricsDailyRollup" u JOIN closed_days c ON c.day = u.day WHERE u.deployments > 0${q.rollupScope()}
       UNION ALL
       SELECT f.at, 1, (f.status = 'promoted')::int, (f.status = 'rolled_back')::int, f.failure::int, (f.failure AND f.restore_hours IS NULL)::int,
              CASE WHEN f.lead_hours IS NULL THEN '{}' ELSE ARRAY[f.lead_hours] END, CASE WHEN f.restore_hours IS NULL THEN '{}' ELSE ARRAY[f.restore_hours] END
         FROM (${deploymentFactsSql}) f WHERE true${q.factScope()}),
     placed AS (SELECT ${q.periodOf("at")} AS period, ${q.bucketOf("at")} AS bucket, facts.* FROM facts),
     counted AS (
       SELECT period, bucket, sum(deployments)::int AS deployments, sum(promoted)::int AS promoted, sum(rollbacks)::int AS rollbacks,
              sum(failures)::int AS failures, sum(unrestored)::int AS unrestored
         FROM placed GROUP BY GROUPING SETS ((period, bucket), (period))),
     measured AS (
       SELECT period, bucket,
              count(hours) FILTER (WHERE kind = 'lead')::int AS lead_count,
              avg(hours) FILTER (WHERE kind = 'lead') AS lead_mean,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE kind = 'lead') AS lead_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) FILTER (WHERE kind = 'lead') AS lead_p90,
              count(hours) FILTER (WHERE kind = 'restore')::int AS restored,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) FILTER (WHERE kind = 'restore') AS restore_median
         FROM (SELECT period, bucket, 'lead' AS kind, hours FROM placed, unnest(lead_hours) AS hours
               UNION ALL
               SELECT period, bucket, 'restore', hours FROM placed, unnest(restore_hours) AS hours) measure
        GROUP BY GROUPING SETS ((period, bucket), (period)))
     SELECT c.period, to_char(c.bucket, 'YYYY-MM-DD') AS bucket, c.deployments, c.promoted, c.rollbacks, c.failures, c.unrestored,
            m.lead_count, m.lead_mean, m.lead_median, m.lead_p90, m.restored, m.restore_median
       FROM counted c LEFT JOIN measured m ON m.period = c.period AND m.bucket IS NOT DISTINCT FROM c.bucket`,
    ...q.params.values,
  );
}

interface ReasonRow {
  period: Period;
  bucket: string;
  reason: string;
  escalations: number;
}

function queryEscalationReasons(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const q = statement(window, filters);
  return db.$queryRawUnsafe<ReasonRow[]>(
    `WITH ${q.sources(q.previousFrom())},
     facts AS (
       SELECT u.day::timestamp AS at, u.reason, u.escalations
         FROM "MetricsDailyReasonRollup" u JOIN closed_days c ON c.day = u.day WHERE u.escalations > 0${q.rollupScope()}
       UNION ALL
       SELECT f.at, f.reason, 1 FROM (${escalationReasonFactsSql}) f WHERE true${q.factScope()})
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

function queryDecisions(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const q = statement(window, filters);
  return db.$queryRawUnsafe<DecisionRow[]>(
    `WITH ${q.sources(q.previousFrom())},
     facts AS (
       SELECT u.day::timestamp AS at, u."escalationsDecided" AS decided, u."escalationsApproved" AS approved
         FROM "MetricsDailyRollup" u JOIN closed_days c ON c.day = u.day WHERE u."escalationsDecided" > 0${q.rollupScope()}
       UNION ALL
       SELECT f.at, 1, f.approved::int FROM (${decisionFactsSql}) f WHERE true${q.factScope()})
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
function queryStageTimes(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const q = statement(window, filters);
  return db.$queryRawUnsafe<StageRow[]>(
    `WITH ${q.sources(q.from())},
     facts AS (
       SELECT u.day::timestamp AS at, u.stage::text AS stage, u.runs, u."queueHours" AS queue_hours, u."agentHours" AS agent_hours, u."humanHours" AS human_hours
         FROM "MetricsDailyStageRollup" u JOIN closed_days c ON c.day = u.day WHERE true${q.rollupScope()}
       UNION ALL
       SELECT f.at, f.stage, f.first_attempt::int, f.queue_hours, f.agent_hours, 0 FROM (${attemptFactsSql}) f WHERE true${q.factScope()}
       UNION ALL
       SELECT f.at, f.stage, 0, 0, 0, f.human_hours FROM (${humanFactsSql}) f WHERE true${q.factScope()})
     SELECT to_char(bucket, 'YYYY-MM-DD') AS bucket, stage, runs, queue_hours, agent_hours, human_hours
       FROM (SELECT ${q.bucketOf("at")} AS bucket, stage, sum(runs)::int AS runs, sum(queue_hours) AS queue_hours,
                    sum(agent_hours) AS agent_hours, sum(human_hours) AS human_hours
               FROM facts GROUP BY 1, 2) grouped`,
    ...q.params.values,
  );
}

export async function queryMetrics(db: Db, window: MetricsWindow, filters: MetricsFilters): Promise<MetricsReport> {
  const [runs, deployments, reasons, decisions, stageTimes] = await Promise.all([
    queryRuns(db, window, filters),
    queryDeployments(db, window, filters),
    queryEscalationReasons(db, window, filters),
    queryDecisions(db, window, filters),
    queryStageTimes(db, window, filters),
  ]);

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
