import type { Db, Prisma } from "../db/client";
import { attemptFactsSql, decisionFactsSql, deploymentFactsSql, duringRanges, escalationReasonFactsSql, humanFactsSql, runFactsSql, type During } from "./daily-facts";
import { dayRanges } from "./rollup-coverage";
import { SqlParams } from "./sql-scope";

/**
 * Rolls up the days that are not rolled up yet and have ended an hour ago or more: the facts of
 * daily-facts.ts grouped per day, repository, team and simulated flag into MetricsDailyRollup,
 * MetricsDailyReasonRollup and MetricsDailyStageRollup, and the day listed in MetricsRollupDay.
 *
 * Which days need it is known without a watermark: triggers (migration 20261125050000) remove a
 * day from MetricsRollupDay in the transaction that changes one of its rows, whatever wrote it
 * (the engine deciding an escalation weeks later, `simulate-history`, a deletion, SQL by hand).
 * So a refresh computes exactly the days never rolled up or changed since, and the metrics are
 * exact before it runs too: the query computes the days not listed live.
 *
 * A refresh holds advisory lock METRICS_ROLLUP_LOCK exclusively, a transaction at a time; the
 * triggers take it shared before they reopen a day, so a change either is seen by the refresh or
 * reopens the day after the refresh commits. If the lock is not free within a second (a long
 * transaction, such as simulate-history writing, holds it shared) the refresh gives up and says so.
 */

/** Advisory lock key; the same number is written in the migration's trigger functions. */
export const METRICS_ROLLUP_LOCK = 7_310_447_020;
/**
 * Days per transaction: bounds how long a refresh holds the lock, and so how long a writer of a
 * settled day may wait (a week of 240 runs a day takes a few hundred milliseconds).
 */
const DAYS_PER_TRANSACTION = 7;

export interface MetricsRollupRefresh {
  /** Days rolled up by this call. */
  rolledUp: number;
  /** True when the lock was busy and the refresh stopped early; the next one continues. */
  busy: boolean;
}

class RollupLockBusy extends Error {}

export async function refreshMetricsRollup(db: Db, options: { daysPerTransaction?: number } = {}): Promise<MetricsRollupRefresh> {
  const limit = options.daysPerTransaction ?? DAYS_PER_TRANSACTION;
  let rolledUp = 0;
  for (;;) {
    let days: number;
    try {
      days = await db.$transaction((tx) => rollUpSomeDays(tx, limit), { timeout: 10 * 60_000, maxWait: 30_000 });
    } catch (err) {
      if (err instanceof RollupLockBusy) return { rolledUp, busy: true };
      throw err;
    }
    rolledUp += days;
    if (days < limit) return { rolledUp, busy: false };
  }
}

/** The first `limit` days to roll up, oldest first: from the first day with a fact until an hour ago. */
const pendingDaysSql = `
  WITH bounds AS (
    SELECT LEAST((SELECT min("createdAt") FROM "PipelineRun"),
                 (SELECT min("queuedAt") FROM "StageRun"),
                 (SELECT min("createdAt") FROM "Escalation"),
                 (SELECT min("decidedAt") FROM "Escalation"),
                 (SELECT min("startedAt") FROM "Deployment" WHERE environment = 'production'))::date AS first_day,
           ((now() AT TIME ZONE 'UTC') - interval '1 hour')::date - 1 AS last_day)
  SELECT to_char(series.at, 'YYYY-MM-DD') AS day
    FROM bounds, generate_series(bounds.first_day::timestamp, bounds.last_day::timestamp, interval '1 day') AS series(at)
   WHERE NOT EXISTS (SELECT 1 FROM "MetricsRollupDay" m WHERE m.day = series.at::date)
   ORDER BY series.at
   LIMIT $1::int`;

const keyColumns = `day, "repositoryId", team, simulated`;
const groupByKey = "GROUP BY f.at::date, f.repository_id, f.team, f.simulated";
const factKey = "f.at::date, f.repository_id, f.team, f.simulated";

/** One statement per source of facts; later ones add their columns to the rows earlier ones made. */
const rollUpStatements: ((during: During) => string)[] = [
  // Runs: totals per key, and per first reason.
  (during) => `WITH facts AS MATERIALIZED (${runFactsSql(during)}),
   totals AS (
     INSERT INTO "MetricsDailyRollup" (${keyColumns}, "runsStarted", "runsDecided")
     SELECT ${factKey}, count(*), count(*) FILTER (WHERE f.decided) FROM facts f ${groupByKey})
   INSERT INTO "MetricsDailyReasonRollup" (${keyColumns}, reason, "runsEscalated")
   SELECT ${factKey}, f.primary_reason, count(*) FROM facts f WHERE f.primary_reason IS NOT NULL ${groupByKey}, f.primary_reason`,

  (during) => `INSERT INTO "MetricsDailyRollup" (${keyColumns}, "escalationsDecided", "escalationsApproved")
   SELECT ${factKey}, count(*), count(*) FILTER (WHERE f.approved) FROM (${decisionFactsSql(during)}) f ${groupByKey}
   ON CONFLICT (${keyColumns}) DO UPDATE SET "escalationsDecided" = excluded."escalationsDecided", "escalationsApproved" = excluded."escalationsApproved"`,

  // Lead and restore times are kept whole (sorted), so percentiles over any set of days stay exact.
  (during) => `INSERT INTO "MetricsDailyRollup" (${keyColumns}, deployments, "deploymentsPromoted", rollbacks, "changeFailures", "unrestoredFailures",
                                     "leadHours", "restoreHours", "restoreLookupUntil")
   SELECT ${factKey}, count(*), count(*) FILTER (WHERE f.status = 'promoted'), count(*) FILTER (WHERE f.status = 'rolled_back'),
          count(*) FILTER (WHERE f.failure), count(*) FILTER (WHERE f.failure AND f.restore_hours IS NULL),
          COALESCE(array_agg(f.lead_hours ORDER BY f.lead_hours) FILTER (WHERE f.lead_hours IS NOT NULL), '{}'),
          COALESCE(array_agg(f.restore_hours ORDER BY f.restore_hours) FILTER (WHERE f.restore_hours IS NOT NULL), '{}'),
          max(f.restore_lookup_at)
     FROM (${deploymentFactsSql(during)}) f ${groupByKey}
   ON CONFLICT (${keyColumns}) DO UPDATE SET deployments = excluded.deployments, "deploymentsPromoted" = excluded."deploymentsPromoted",
     rollbacks = excluded.rollbacks, "changeFailures" = excluded."changeFailures", "unrestoredFailures" = excluded."unrestoredFailures",
     "leadHours" = excluded."leadHours", "restoreHours" = excluded."restoreHours", "restoreLookupUntil" = excluded."restoreLookupUntil"`,

  (during) => `INSERT INTO "MetricsDailyReasonRollup" (${keyColumns}, reason, escalations)
   SELECT ${factKey}, f.reason, count(*) FROM (${escalationReasonFactsSql(during)}) f ${groupByKey}, f.reason
   ON CONFLICT (${keyColumns}, reason) DO UPDATE SET escalations = excluded.escalations`,

  (during) => `INSERT INTO "MetricsDailyStageRollup" (${keyColumns}, stage, runs, "queueHours", "agentHours")
   SELECT ${factKey}, f.stage::"Stage", count(*) FILTER (WHERE f.first_attempt), sum(f.queue_hours), sum(f.agent_hours)
     FROM (${attemptFactsSql(during)}) f ${groupByKey}, f.stage`,

  (during) => `INSERT INTO "MetricsDailyStageRollup" (${keyColumns}, stage, "humanHours")
   SELECT ${factKey}, f.stage::"Stage", sum(f.human_hours) FROM (${humanFactsSql(during)}) f ${groupByKey}, f.stage
   ON CONFLICT (${keyColumns}, stage) DO UPDATE SET "humanHours" = excluded."humanHours"`,
];

async function rollUpSomeDays(tx: Prisma.TransactionClient, limit: number): Promise<number> {
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '1s'`);
  try {
    // pg_advisory_xact_lock returns void, which the adapter cannot read through $queryRaw.
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${METRICS_ROLLUP_LOCK}::bigint)`);
  } catch (err) {
    if (/lock timeout/i.test(String((err as Error)?.message))) throw new RollupLockBusy();
    throw err;
  }
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = 0`);

  const days = (await tx.$queryRawUnsafe<{ day: string }[]>(pendingDaysSql, limit)).map((row) => row.day);
  // Rows of every day not listed: the ones rolled up now, and leftovers of days reopened since.
  for (const table of ["MetricsDailyRollup", "MetricsDailyReasonRollup", "MetricsDailyStageRollup"]) {
    await tx.$executeRawUnsafe(`DELETE FROM "${table}" u WHERE NOT EXISTS (SELECT 1 FROM "MetricsRollupDay" m WHERE m.day = u.day)`);
  }
  if (days.length === 0) return 0;
  const ranges = dayRanges(days);
  for (const rollUp of rollUpStatements) {
    const params = new SqlParams();
    await tx.$executeRawUnsafe(rollUp(duringRanges(ranges, params)), ...params.values);
  }
  await tx.$executeRawUnsafe(`INSERT INTO "MetricsRollupDay" (day) SELECT unnest($1::date[])`, days);
  return days.length;
}
