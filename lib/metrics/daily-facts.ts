import {
  changeFailureSql,
  decidedEscalationSql,
  finishedProductionSql,
  hoursSql,
  leadStartSql,
  restoredAtLateral,
  restoredAtSql,
  runDecidedSql,
  type SqlParams,
  verdictLateral,
} from "./sql-scope";
import { teamSql } from "./teams";

/**
 * The facts every metric is made of, one row per fact, read from the pipeline tables for some
 * time ranges. The rollup refresh groups them per day for the days it rolls up
 * (refresh-metrics-rollup.ts); the metrics query reads them live for the days the rollup does not
 * hold (query-metrics.ts). Being written once is what keeps the two equal.
 *
 * Every fact has `at`, the moment that places it in a day and a bucket (the "Counted at" column of
 * docs/decisions/008), and the rollup's key: `repository_id`, `team` (derived now, teams.ts) and
 * `simulated`. The definitions are those of the reference computation
 * (test/support/metrics-reference.ts).
 */

const key = `pr."repositoryId" AS repository_id, ${teamSql} AS team, r.simulated`;
/**
 * The run, pull request and repository behind a fact (`r`, `pr`, `repo`). LEFT JOINs on primary
 * keys, which foreign keys make the same as inner joins here, so that PostgreSQL drops a join whose
 * columns a query does not use: the metrics query reads `team` and `repository_id` only to filter
 * by them, and an unfiltered query over months of live days skips those joins and the team rule.
 */
const pullRequestOf = `LEFT JOIN "PullRequest" pr ON pr.id = r."pullRequestId" LEFT JOIN "Repository" repo ON repo.id = pr."repositoryId"`;
const runOf = (runId: string) => `LEFT JOIN "PipelineRun" r ON r.id = ${runId} ${pullRequestOf}`;

/** A condition on a timestamp column: within one of the ranges being read. */
export type During = (column: string) => string;

/**
 * `During` for ranges given as parameters, `(column >= lo AND column < hi) OR …`. Written out rather
 * than joined to a list of ranges, so the planner sees the bounds and estimates each range from
 * the column's statistics: index scans and nested loops for a day, hash joins for months.
 */
export function duringRanges(ranges: readonly { from: Date; to: Date }[], params: SqlParams): During {
  let bounds: [string, string][] | undefined;
  return (column) => {
    if (ranges.length === 0) return "false";
    bounds ??= ranges.map((range) => [params.at(range.from), params.at(range.to)]);
    return `(${bounds.map(([lo, hi]) => `(${column} >= ${lo} AND ${column} < ${hi})`).join(" OR ")})`;
  };
}

/**
 * Runs by creation: the first reason of the run's first escalation (whenever it was raised, as in
 * the reference) and whether the run has a verdict.
 */
export const runFactsSql = (during: During) => `
  SELECT r."createdAt" AS at, ${key}, first_escalation.reason AS primary_reason,
         (first_escalation.reason IS NOT NULL OR ${runDecidedSql}) AS decided
    FROM "PipelineRun" r
    ${pullRequestOf}
    LEFT JOIN LATERAL (
      SELECT COALESCE(e.reasons[1], 'unknown') AS reason FROM "Escalation" e WHERE e."runId" = r.id ORDER BY e."createdAt", e.id LIMIT 1
    ) first_escalation ON true
    ${verdictLateral}
   WHERE ${during('r."createdAt"')}`;

/** Escalations by creation, once per reason they carry. */
export const escalationReasonFactsSql = (during: During) => `
  SELECT e."createdAt" AS at, ${key}, reason
    FROM "Escalation" e
    ${runOf('e."runId"')}
    CROSS JOIN LATERAL unnest(e.reasons) AS reason
   WHERE ${during('e."createdAt"')}`;

/** Escalations a person decided, by decision. */
export const decisionFactsSql = (during: During) => `
  SELECT e."decidedAt" AS at, ${key}, e.status = 'approved' AS approved
    FROM "Escalation" e
    ${runOf('e."runId"')}
   WHERE ${decidedEscalationSql} AND ${during('e."decidedAt"')}`;

/**
 * Finished production deployments by start, with their lead time (successful ones) and time to
 * restore (change failures; null while unrestored). `restore_lookup_at` is the start of the next
 * successful deployment the restoration was taken from, when it was looked up: the rollup keeps
 * the latest, so that a later change to the repository's deployments before it reopens the day.
 */
export const deploymentFactsSql = (during: During) => `
  SELECT d."startedAt" AS at, ${key}, d.status::text AS status, ${changeFailureSql} AS failure,
         CASE WHEN d.status = 'promoted' AND d."finishedAt" IS NOT NULL THEN ${hoursSql('d."finishedAt"', leadStartSql)} END AS lead_hours,
         CASE WHEN ${changeFailureSql} THEN ${hoursSql(restoredAtSql, 'd."startedAt"')} END AS restore_hours,
         next_good."startedAt" AS restore_lookup_at
    FROM "Deployment" d
    ${runOf('d."runId"')}
    ${restoredAtLateral('pr."repositoryId"')}
   WHERE ${finishedProductionSql} AND ${during('d."startedAt"')}`;

/**
 * Stage attempts by queue time: queue and agent hours (0 for what has not happened yet, which adds
 * nothing), and whether the attempt is the run's first of its stage.
 */
export const attemptFactsSql = (during: During) => `
  SELECT s."queuedAt" AS at, ${key}, s.stage::text AS stage, s.attempt = 1 AS first_attempt,
         COALESCE(${hoursSql('COALESCE(s."startedAt", s."finishedAt")', 's."queuedAt"')}, 0) AS queue_hours,
         COALESCE(${hoursSql('s."finishedAt"', 's."startedAt"')}, 0) AS agent_hours
    FROM "StageRun" s
    ${runOf('s."runId"')}
   WHERE ${during('s."queuedAt"')}`;

/** Time waiting for a person, by escalation creation, for escalations decided or cancelled. */
export const humanFactsSql = (during: During) => `
  SELECT e."createdAt" AS at, ${key}, e.stage::text AS stage, ${hoursSql('e."decidedAt"', 'e."createdAt"')} AS human_hours
    FROM "Escalation" e
    ${runOf('e."runId"')}
   WHERE e."decidedAt" IS NOT NULL AND ${during('e."createdAt"')}`;
