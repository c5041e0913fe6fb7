import type { Db } from "../db/client";
import { addCount, emptyPeriodStats, emptyStageTimes, type MetricsReport, type PeriodStats, type StageTime } from "./report";
import {
  changeFailureSql,
  decidedEscalationSql,
  filterJoins,
  finishedProductionSql,
  hoursSql,
  restoredAtLateral,
  restoredAtSql,
  runDecidedSql,
  undecidedStatusSql,
  verdictStatusesSql,
  scopeSql,
  SqlParams,
} from "./sql-scope";
import { bucketKeys, type MetricsFilters, type MetricsWindow } from "./window";

/**
 * The metrics report, aggregated by PostgreSQL: each query returns a few hundred grouped rows at
 * most, whatever the number of runs, and the four run concurrently. The definitions are those of
 * reference.ts, which a test holds this equal to.
 */

type Period = "current" | "previous";

/**
 * Parameters for one query, added as the query uses them (PostgreSQL rejects a parameter that no
 * part of the statement uses, since it cannot infer its type).
 */
function baseParams(window: MetricsWindow) {
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
  const bucketKeyOf = (column: string) => `to_char(${bucketOf(column)}, 'YYYY-MM-DD')`;
  const inBoth = (column: string) => `${column} >= ${previousFrom()} AND ${column} < ${to()}`;
  const inCurrent = (column: string) => `${column} >= ${from()} AND ${column} < ${to()}`;
  return { params, periodOf, bucketOf, bucketKeyOf, inBoth, inCurrent };
}

interface RunRow {
  period: Period;
  bucket: string;
  primary_reason: string | null;
  started: number;
  decided: number;
}

function queryRuns(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const { params, periodOf, bucketOf, inBoth } = baseParams(window);
  const scope = scopeSql(filters, params);
  // An escalation comes after its run starts, so escalations since the comparison period began
  // include the first escalation of every run counted here.
  return db.$queryRawUnsafe<RunRow[]>(
    `WITH first_escalation AS (
       SELECT DISTINCT ON (e."runId") e."runId" AS run_id, COALESCE(e.reasons[1], 'unknown') AS reason
         FROM "Escalation" e WHERE ${inBoth('e."createdAt"')}
        ORDER BY e."runId", e."createdAt", e.id),
     verdict AS (
       SELECT DISTINCT vs."runId" AS run_id, true AS found
         FROM "PipelineRun" r JOIN "StageRun" vs ON vs."runId" = r.id
        WHERE ${inBoth('r."createdAt"')} AND ${undecidedStatusSql} AND vs.status IN (${verdictStatusesSql})),
     scoped AS (
       SELECT ${periodOf('r."createdAt"')} AS period, ${bucketOf('r."createdAt"')} AS bucket, fe.reason AS primary_reason,
              fe.reason IS NOT NULL OR ${runDecidedSql} AS decided
         FROM "PipelineRun" r${filterJoins(filters)}
         LEFT JOIN first_escalation fe ON fe.run_id = r.id
         LEFT JOIN verdict ON verdict.run_id = r.id
        WHERE ${inBoth('r."createdAt"')}${scope})
     SELECT period, to_char(bucket, 'YYYY-MM-DD') AS bucket, primary_reason, count(*)::int AS started, count(*) FILTER (WHERE decided)::int AS decided
       FROM scoped GROUP BY period, bucket, primary_reason`,
    ...params.values,
  );
}

interface DeploymentRow {
  period: Period;
  bucket: string | null;
  deployments: number;
  promoted: number;
  rollbacks: number;
  failures: number;
  lead_count: number;
  lead_mean: number | null;
  lead_median: number | null;
  lead_p90: number | null;
  restored: number;
  unrestored: number;
  restore_median: number | null;
}

function queryDeployments(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const { params, periodOf, bucketOf, inBoth } = baseParams(window);
  const scope = scopeSql(filters, params);
  return db.$queryRawUnsafe<DeploymentRow[]>(
    `WITH production AS (
       SELECT d.id, d.status, d."startedAt", d."finishedAt", d."incidentReport", pr."openedAt", pr."repositoryId"
         FROM "Deployment" d
         JOIN "PipelineRun" r ON r.id = d."runId"
         JOIN "PullRequest" pr ON pr.id = r."pullRequestId"${filters.repository || filters.team ? ` JOIN "Repository" repo ON repo.id = pr."repositoryId"` : ""}
        WHERE ${finishedProductionSql} AND ${inBoth('d."startedAt"')}${scope}),
     -- The restoration lookup runs for change failures only (a few percent of deployments).
     restoration AS (
       SELECT d.id, ${hoursSql(restoredAtSql, 'd."startedAt"')} AS restore_hours
         FROM (SELECT * FROM production d WHERE ${changeFailureSql}) d
         ${restoredAtLateral('d."repositoryId"')}),
     scoped AS (
       SELECT ${periodOf('d."startedAt"')} AS period, ${bucketOf('d."startedAt"')} AS bucket, d.status::text AS status,
              ${changeFailureSql} AS failure,
              CASE WHEN d.status = 'promoted' AND d."finishedAt" IS NOT NULL THEN ${hoursSql('d."finishedAt"', 'd."openedAt"')} END AS lead_hours,
              restoration.restore_hours
         FROM production d LEFT JOIN restoration ON restoration.id = d.id)
     SELECT period, CASE WHEN GROUPING(bucket) = 1 THEN NULL ELSE to_char(bucket, 'YYYY-MM-DD') END AS bucket,
            count(*)::int AS deployments,
            count(*) FILTER (WHERE status = 'promoted')::int AS promoted,
            count(*) FILTER (WHERE status = 'rolled_back')::int AS rollbacks,
            count(*) FILTER (WHERE failure)::int AS failures,
            count(lead_hours)::int AS lead_count,
            avg(lead_hours) AS lead_mean,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_hours) AS lead_median,
            percentile_cont(0.9) WITHIN GROUP (ORDER BY lead_hours) AS lead_p90,
            count(restore_hours)::int AS restored,
            count(*) FILTER (WHERE failure AND restore_hours IS NULL)::int AS unrestored,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY restore_hours) AS restore_median
       FROM scoped GROUP BY GROUPING SETS ((period, bucket), (period))`,
    ...params.values,
  );
}

interface ReasonRow {
  period: Period;
  bucket: string;
  reason: string;
  escalations: number;
}
interface DecisionRow {
  period: Period;
  bucket: string;
  decided: number;
  approved: number;
}

async function queryEscalations(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const reasons = baseParams(window);
  const reasonScope = scopeSql(filters, reasons.params);
  const decisions = baseParams(window);
  const decisionScope = scopeSql(filters, decisions.params);
  return Promise.all([
    db.$queryRawUnsafe<ReasonRow[]>(
      `SELECT ${reasons.periodOf('e."createdAt"')} AS period, ${reasons.bucketKeyOf('e."createdAt"')} AS bucket, reason, count(*)::int AS escalations
         FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId"${filterJoins(filters)}
        CROSS JOIN LATERAL unnest(e.reasons) AS reason
        WHERE ${reasons.inBoth('e."createdAt"')}${reasonScope}
        GROUP BY 1, 2, 3`,
      ...reasons.params.values,
    ),
    db.$queryRawUnsafe<DecisionRow[]>(
      `SELECT ${decisions.periodOf('e."decidedAt"')} AS period, ${decisions.bucketKeyOf('e."decidedAt"')} AS bucket,
              count(*)::int AS decided, count(*) FILTER (WHERE e.status = 'approved')::int AS approved
         FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId"${filterJoins(filters)}
        WHERE ${decidedEscalationSql} AND ${decisions.inBoth('e."decidedAt"')}${decisionScope}
        GROUP BY 1, 2`,
      ...decisions.params.values,
    ),
  ]);
}

interface StageRow {
  bucket: string;
  stage: string;
  runs: number;
  queue_hours: number;
  agent_hours: number;
}
interface HumanRow {
  bucket: string;
  stage: string;
  human_hours: number;
}

async function queryStageTimes(db: Db, window: MetricsWindow, filters: MetricsFilters) {
  const attempts = baseParams(window);
  const attemptScope = scopeSql(filters, attempts.params);
  const human = baseParams(window);
  const humanScope = scopeSql(filters, human.params);
  return Promise.all([
    db.$queryRawUnsafe<StageRow[]>(
      `WITH scoped AS (
         SELECT ${attempts.bucketOf('s."queuedAt"')} AS bucket, s.stage::text AS stage, s.attempt,
                ${hoursSql('COALESCE(s."startedAt", s."finishedAt")', 's."queuedAt"')} AS queue_hours,
                ${hoursSql('s."finishedAt"', 's."startedAt"')} AS agent_hours
           FROM "StageRun" s${filters.repository || filters.team || filters.simulated !== "include" ? ` JOIN "PipelineRun" r ON r.id = s."runId"${filterJoins(filters)}` : ""}
          WHERE s.status <> 'not_configured' AND ${attempts.inCurrent('s."queuedAt"')}${attemptScope})
       SELECT to_char(bucket, 'YYYY-MM-DD') AS bucket, stage, count(*) FILTER (WHERE attempt = 1)::int AS runs,
              COALESCE(sum(queue_hours), 0) AS queue_hours, COALESCE(sum(agent_hours), 0) AS agent_hours
         FROM scoped GROUP BY bucket, stage`,
      ...attempts.params.values,
    ),
    db.$queryRawUnsafe<HumanRow[]>(
      `SELECT ${human.bucketKeyOf('e."createdAt"')} AS bucket, e.stage::text AS stage, sum(${hoursSql('e."decidedAt"', 'e."createdAt"')}) AS human_hours
         FROM "Escalation" e JOIN "PipelineRun" r ON r.id = e."runId"${filterJoins(filters)}
        WHERE e."decidedAt" IS NOT NULL AND ${human.inCurrent('e."createdAt"')}${humanScope}
        GROUP BY 1, 2`,
      ...human.params.values,
    ),
  ]);
}

export async function queryMetrics(db: Db, window: MetricsWindow, filters: MetricsFilters): Promise<MetricsReport> {
  const [runs, deployments, [reasons, decisions], [attempts, human]] = await Promise.all([
    queryRuns(db, window, filters),
    queryDeployments(db, window, filters),
    queryEscalations(db, window, filters),
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
        stats.runsEscalated += row.started;
        addCount(stats.escalatedByPrimaryReason, row.primary_reason, row.started);
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
      leadTime: { count: row.lead_count, meanHours: row.lead_mean, medianHours: row.lead_median, p90Hours: row.lead_p90 },
      restore: { restored: row.restored, unrestored: row.unrestored, medianHours: row.restore_median },
    });
  }

  const stageTotals = emptyStageTimes();
  const stageBuckets = new Map(keys.map((key) => [key, emptyStageTimes()]));
  const stageIn = (list: StageTime[] | undefined, stage: string) => list?.find((time) => time.stage === stage);
  // Every part is a count or a sum, so the period's totals are the buckets' added up.
  for (const row of attempts) {
    for (const list of [stageTotals, stageBuckets.get(row.bucket)]) {
      const time = stageIn(list, row.stage);
      if (!time) continue;
      time.runs += row.runs;
      time.queueHours += row.queue_hours;
      time.agentHours += row.agent_hours;
    }
  }
  for (const row of human) {
    for (const list of [stageTotals, stageBuckets.get(row.bucket)]) {
      const time = stageIn(list, row.stage);
      if (time) time.humanHours += row.human_hours;
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
