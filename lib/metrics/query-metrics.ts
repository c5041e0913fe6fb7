import type { Db } from "../db/client";
import { attemptFactsSql, decisionFactsSql, deploymentFactsSql, duringRanges, escalationReasonFactsSql, humanFactsSql, runFactsSql, type During } from "./daily-facts";
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

/** What every statement reads for: the window, the filters and where each day comes from. */
interface Scope {
  window: MetricsWindow;
  filters: MetricsFilters;
  sources: Sources;
}

/**
 * What one statement of the report reads and how it totals it; metricsStatement writes the rest.
 * The facts are rollup rows and live facts with the same columns (`at`, then `columns`), each
 * placed in its period and bucket: `placed` has `period` (for both periods), `bucket` (the start
 * of the row's bucket, a timestamp), then the facts' columns. `select` totals them.
 */
interface StatementSpec<Column extends string> {
  /** The comparison period too, or the current period only (then `placed` has no `period`). */
  periods: "both" | "current";
  columns: readonly Column[];
  /** Rollup rows `u` of the rolled-up days (`at` is their day), those meeting `where` if given. */
  rolledUp: readonly { table: string; values: Record<NoInfer<Column>, string>; where?: string }[];
  /** Facts `f` of daily-facts.ts over the live days (`at` is theirs). */
  live: readonly { facts: (during: During) => string; values: Record<NoInfer<Column>, string> }[];
  /** More common table expressions after `placed` (name → query), in order. */
  with?: Record<string, string>;
  /** The result, from `placed` (and `with`), given the columns that place a row (sumsPerBucket). */
  select: string | ((placement: readonly string[]) => string);
}

/**
 * The one shape of every aggregation statement: the facts of the rolled-up and the live days in
 * the filters' scope, placed in their period and bucket, then what the spec makes of them.
 * Parameters are added as the statement uses them (PostgreSQL rejects a parameter that no part of
 * the statement uses, since it cannot infer its type).
 */
function metricsStatement<Column extends string>({ window, filters, sources }: Scope, spec: StatementSpec<Column>): { sql: string; values: unknown[] } {
  const coverage = spec.periods === "both" ? sources.both : sources.current;
  const params = new SqlParams();
  const columnsOf = (at: string, values: Record<Column, string>) => [`${at} AS at`, ...spec.columns.map((column) => `${values[column]} AS ${column}`)].join(", ");
  const rolledUp = `u.day = ANY(${params.add(coverage.rolledUp)}::date[])${keyScopeSql(filters, params, { repositoryId: 'u."repositoryId"', team: "u.team", simulated: "u.simulated" })}`;
  const branches = spec.rolledUp.map(({ table, values, where }) => `SELECT ${columnsOf("u.day::timestamp", values)} FROM "${table}" u WHERE ${rolledUp}${where ? ` AND ${where}` : ""}`);
  const during = duringRanges(coverage.live, params);
  let factScope: string | undefined;
  for (const { facts, values } of spec.live) {
    const from = facts(during); // adds the ranges' parameters the first time
    factScope ??= keyScopeSql(filters, params, { repositoryId: "f.repository_id", team: "f.team", simulated: "f.simulated" });
    branches.push(`SELECT ${columnsOf("f.at", values)} FROM (${from}) f WHERE true${factScope}`);
  }
  const placement = spec.periods === "both" ? ["period", "bucket"] : ["bucket"];
  // Placed in a bucket as a timestamp, formatted once per group: to_char on every row costs more than the rest.
  const period = spec.periods === "both" ? `CASE WHEN at >= ${params.at(window.from)} THEN 'current' ELSE 'previous' END AS period, ` : "";
  const bucket = `date_trunc(${params.add(window.bucket)}, at) AS bucket`;
  const ctes = [
    `facts AS (\n       ${branches.join("\n       UNION ALL\n       ")})`,
    `placed AS (SELECT ${period}${bucket}, facts.* FROM facts)`,
    ...Object.entries(spec.with ?? {}).map(([name, cte]) => `${name} AS (${cte})`),
  ];
  const select = typeof spec.select === "string" ? spec.select : spec.select(placement);
  return { sql: `WITH ${ctes.join(",\n     ")}\n     ${select}`, values: params.values };
}

/**
 * The usual select: per period, bucket (as YYYY-MM-DD) and `keys`, the sums of `counts` (as
 * integers) and of `hours`.
 */
const sumsPerBucket =
  (keys: readonly string[], { counts = [], hours = [] }: { counts?: readonly string[]; hours?: readonly string[] }) =>
  (placement: readonly string[]) => {
    const groups = [...placement, ...keys];
    const sums = [...counts.map((column) => `sum(${column})::int AS ${column}`), ...hours.map((column) => `sum(${column}) AS ${column}`)];
    const formatted = groups.map((group) => (group === "bucket" ? "to_char(bucket, 'YYYY-MM-DD') AS bucket" : group));
    return `SELECT ${[...formatted, ...counts, ...hours].join(", ")}
       FROM (SELECT ${[...groups, ...sums].join(", ")} FROM placed GROUP BY ${groups.map((_, i) => i + 1).join(", ")}) grouped`;
  };

/** Runs a statement; its row type comes from the caller's return type. */
function runStatement<Row, Column extends string>(db: Db, scope: Scope, spec: StatementSpec<Column>): Promise<Row[]> {
  const { sql, values } = metricsStatement(scope, spec);
  return db.$queryRawUnsafe<Row[]>(sql, ...values);
}

interface RunRow {
  period: Period;
  bucket: string;
  primary_reason: string | null;
  started: number;
  decided: number;
  escalated: number;
}

const queryRuns = (db: Db, scope: Scope): Promise<RunRow[]> =>
  runStatement(db, scope, {
    periods: "both",
    columns: ["primary_reason", "started", "decided", "escalated"],
    rolledUp: [
      { table: "MetricsDailyRollup", where: 'u."runsStarted" > 0', values: { primary_reason: "NULL::text", started: 'u."runsStarted"', decided: 'u."runsDecided"', escalated: "0" } },
      { table: "MetricsDailyReasonRollup", where: 'u."runsEscalated" > 0', values: { primary_reason: "u.reason", started: "0", decided: "0", escalated: 'u."runsEscalated"' } },
    ],
    live: [{ facts: runFactsSql, values: { primary_reason: "f.primary_reason", started: "1", decided: "f.decided::int", escalated: "(f.primary_reason IS NOT NULL)::int" } }],
    select: sumsPerBucket(["primary_reason"], { counts: ["started", "decided", "escalated"] }),
  });

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

// Percentiles do not add up, so they are taken over every lead and restore time of the period
// or bucket: the rollup keeps each day's as an array, the live facts add theirs one by one. Rows
// come per bucket and per period (GROUPING SETS).
const queryDeployments = (db: Db, scope: Scope): Promise<DeploymentRow[]> =>
  runStatement(db, scope, {
    periods: "both",
    columns: ["deployments", "promoted", "rollbacks", "failures", "unrestored", "lead_hours", "restore_hours"],
    rolledUp: [
      {
        table: "MetricsDailyRollup",
        where: "u.deployments > 0",
        values: { deployments: "u.deployments", promoted: 'u."deploymentsPromoted"', rollbacks: "u.rollbacks", failures: 'u."changeFailures"', unrestored: 'u."unrestoredFailures"', lead_hours: 'u."leadHours"', restore_hours: 'u."restoreHours"' },
      },
    ],
    live: [
      {
        facts: deploymentFactsSql,
        values: {
          deployments: "1",
          promoted: "(f.status = 'promoted')::int",
          rollbacks: "(f.status = 'rolled_back')::int",
          failures: "f.failure::int",
          unrestored: "(f.failure AND f.restore_hours IS NULL)::int",
          lead_hours: "CASE WHEN f.lead_hours IS NULL THEN '{}' ELSE ARRAY[f.lead_hours] END",
          restore_hours: "CASE WHEN f.restore_hours IS NULL THEN '{}' ELSE ARRAY[f.restore_hours] END",
        },
      },
    ],
    with: {
      counted: `
       SELECT period, bucket, sum(deployments)::int AS deployments, sum(promoted)::int AS promoted, sum(rollbacks)::int AS rollbacks,
              sum(failures)::int AS failures, sum(unrestored)::int AS unrestored
         FROM placed GROUP BY GROUPING SETS ((period, bucket), (period))`,
      // Each group's values are gathered by hashing, then sorted once for its percentiles: cheaper
      // than sorting every value by group first, as an ordered-set aggregate would.
      lead: `
       SELECT grouped.period, grouped.bucket, cardinality(grouped.hours)::int AS lead_count, stats.lead_mean, stats.lead_percentiles
         FROM (SELECT period, bucket, array_agg(hours) AS hours
                 FROM placed, unnest(lead_hours) AS hours GROUP BY GROUPING SETS ((period, bucket), (period))) grouped
        CROSS JOIN LATERAL (
          SELECT avg(h) AS lead_mean, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY h) AS lead_percentiles FROM unnest(grouped.hours) AS h) stats`,
      restore: `
       SELECT period, bucket, count(*)::int AS restored, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS restore_median
         FROM placed, unnest(restore_hours) AS hours GROUP BY GROUPING SETS ((period, bucket), (period))`,
    },
    select: `SELECT c.period, to_char(c.bucket, 'YYYY-MM-DD') AS bucket, c.deployments, c.promoted, c.rollbacks, c.failures, c.unrestored,
            l.lead_count, l.lead_mean, l.lead_percentiles[1] AS lead_median, l.lead_percentiles[2] AS lead_p90, r.restored, r.restore_median
       FROM counted c
       LEFT JOIN lead l ON l.period = c.period AND l.bucket IS NOT DISTINCT FROM c.bucket
       LEFT JOIN restore r ON r.period = c.period AND r.bucket IS NOT DISTINCT FROM c.bucket`,
  });

interface ReasonRow {
  period: Period;
  bucket: string;
  reason: string;
  escalations: number;
}

const queryEscalationReasons = (db: Db, scope: Scope): Promise<ReasonRow[]> =>
  runStatement(db, scope, {
    periods: "both",
    columns: ["reason", "escalations"],
    rolledUp: [{ table: "MetricsDailyReasonRollup", where: "u.escalations > 0", values: { reason: "u.reason", escalations: "u.escalations" } }],
    live: [{ facts: escalationReasonFactsSql, values: { reason: "f.reason", escalations: "1" } }],
    select: sumsPerBucket(["reason"], { counts: ["escalations"] }),
  });

interface DecisionRow {
  period: Period;
  bucket: string;
  decided: number;
  approved: number;
}

const queryDecisions = (db: Db, scope: Scope): Promise<DecisionRow[]> =>
  runStatement(db, scope, {
    periods: "both",
    columns: ["decided", "approved"],
    rolledUp: [{ table: "MetricsDailyRollup", where: 'u."escalationsDecided" > 0', values: { decided: 'u."escalationsDecided"', approved: 'u."escalationsApproved"' } }],
    live: [{ facts: decisionFactsSql, values: { decided: "1", approved: "f.approved::int" } }],
    select: sumsPerBucket([], { counts: ["decided", "approved"] }),
  });

interface StageRow {
  bucket: string;
  stage: string;
  runs: number;
  queue_hours: number;
  agent_hours: number;
  human_hours: number;
}

/** Where the time goes, over the current period only. */
const queryStageTimes = (db: Db, scope: Scope): Promise<StageRow[]> =>
  runStatement(db, scope, {
    periods: "current",
    columns: ["stage", "runs", "queue_hours", "agent_hours", "human_hours"],
    rolledUp: [
      {
        table: "MetricsDailyStageRollup",
        values: { stage: "u.stage::text", runs: "u.runs", queue_hours: 'u."queueHours"', agent_hours: 'u."agentHours"', human_hours: 'u."humanHours"' },
      },
    ],
    live: [
      { facts: attemptFactsSql, values: { stage: "f.stage", runs: "f.first_attempt::int", queue_hours: "f.queue_hours", agent_hours: "f.agent_hours", human_hours: "0" } },
      { facts: humanFactsSql, values: { stage: "f.stage", runs: "0", queue_hours: "0", agent_hours: "0", human_hours: "f.human_hours" } },
    ],
    select: sumsPerBucket(["stage"], { counts: ["runs"], hours: ["queue_hours", "agent_hours", "human_hours"] }),
  });

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
    const scope: Scope = { window, filters, sources };
    const results = await Promise.all([
      queryRuns(db, scope),
      queryDeployments(db, scope),
      queryEscalationReasons(db, scope),
      queryDecisions(db, scope),
      queryStageTimes(db, scope),
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
