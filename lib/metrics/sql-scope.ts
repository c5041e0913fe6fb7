import { teamSql } from "./teams";
import type { MetricsFilters } from "./window";

/**
 * SQL shared by the aggregation and the drill-down, so a number and the list of runs behind it
 * are selected by the same predicates. Every query joins the run as `r`, its pull request as `pr`
 * and the repository as `repo`.
 */
export const runJoins = `JOIN "PullRequest" pr ON pr.id = r."pullRequestId" JOIN "Repository" repo ON repo.id = pr."repositoryId"`;

/** Positional parameters for $queryRawUnsafe, numbered as they are added. */
export class SqlParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** A UTC instant for a `timestamp(3)` column (stored as UTC wall time). */
  at(value: Date): string {
    return `${this.add(value.toISOString())}::timestamp`;
  }
}

/**
 * " AND …" clauses for the filters over rows that carry the rollup's key (a rollup row, or a fact
 * of daily-facts.ts), given the names of its repository id, team and simulated columns.
 */
export function keyScopeSql(filters: MetricsFilters, params: SqlParams, columns: { repositoryId: string; team: string; simulated: string }): string {
  const clauses: string[] = [];
  if (filters.repository) clauses.push(`${columns.repositoryId} IN (SELECT id FROM "Repository" WHERE name = ${params.add(filters.repository)})`);
  if (filters.team) clauses.push(`${columns.team} = ${params.add(filters.team)}`);
  if (filters.simulated === "exclude") clauses.push(`NOT ${columns.simulated}`);
  if (filters.simulated === "only") clauses.push(columns.simulated);
  return clauses.map((clause) => ` AND ${clause}`).join("");
}

/** " AND …" clauses for the repository, team and simulated filters. */
export function scopeSql(filters: MetricsFilters, params: SqlParams): string {
  const clauses: string[] = [];
  if (filters.repository) clauses.push(`repo.name = ${params.add(filters.repository)}`);
  if (filters.team) clauses.push(`${teamSql} = ${params.add(filters.team)}`);
  if (filters.simulated === "exclude") clauses.push("NOT r.simulated");
  if (filters.simulated === "only") clauses.push("r.simulated");
  return clauses.map((clause) => ` AND ${clause}`).join("");
}

// date_part returns float8; extract() returns numeric, several times slower to sum over many rows.
export const hoursSql = (later: string, earlier: string) => `(date_part('epoch', (${later}) - (${earlier})) / 3600)`;

/**
 * A run has a verdict once an agent passed, failed, rolled back or escalated it. A run can only
 * reach waiting, escalated, done, rejected, changes requested, failed or rolled back through a
 * verdict, so only queued, running, superseded and cancelled runs need their stage attempts looked at.
 * Queries join those runs' verdicts as `verdict` (found = true); escalated runs are known from
 * their first escalation.
 */
export const undecidedStatusSql = `r.status IN ('queued', 'running', 'superseded', 'cancelled')`;
export const verdictStatusesSql = `'passed', 'escalated', 'failed', 'rolled_back'`;
export const runDecidedSql = `(NOT ${undecidedStatusSql} OR verdict.found IS NOT NULL)`;
/** `verdict` for one run at a time (the drill-down pages through few). */
export const verdictLateral = `LEFT JOIN LATERAL (
    SELECT true AS found FROM "StageRun" vs
     WHERE ${undecidedStatusSql} AND vs."runId" = r.id AND vs.status IN (${verdictStatusesSql})
     LIMIT 1) verdict ON true`;

export const finishedProductionSql = `d.environment = 'production' AND d.status IN ('promoted', 'rolled_back', 'failed')`;
export const changeFailureSql = `(d.status = 'rolled_back' OR d."incidentReport" IS NOT NULL)`;
/**
 * Where a change's lead time starts: its first commit when the code host said (issue #18), else
 * the pull request's opening; the earlier of the two (LEAST skips a null). Both from the host's
 * clock for a code-host pull request.
 */
export const leadStartSql = `LEAST(pr."firstCommitAt", pr."openedAt")`;
export const decidedEscalationSql = `e.status IN ('approved', 'rejected', 'changes_requested')`;

/**
 * The end of a change failure's restoration: its rollback's end, else the end of the next
 * successful production deployment of the same repository (`repositoryColumn` of the outer row).
 * The condition inside the subquery depends only on the outer row, so the lookup runs for failures.
 */
export const restoredAtLateral = (repositoryColumn: string) => `LEFT JOIN LATERAL (
    SELECT n."startedAt", n."finishedAt"
      FROM "Deployment" n
      JOIN "PipelineRun" nr ON nr.id = n."runId"
      JOIN "PullRequest" npr ON npr.id = nr."pullRequestId"
     WHERE ((d.status = 'rolled_back' AND d."finishedAt" IS NULL) OR (d.status <> 'rolled_back' AND d."incidentReport" IS NOT NULL))
       AND n.environment = 'production' AND n.status = 'promoted' AND n."startedAt" > d."startedAt"
       AND npr."repositoryId" = ${repositoryColumn}
     ORDER BY n."startedAt"
     LIMIT 1) next_good ON true`;
export const restoredAtSql = `COALESCE(CASE WHEN d.status = 'rolled_back' THEN d."finishedAt" END, next_good."finishedAt")`;
