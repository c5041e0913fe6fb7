import type { Db } from "../db/client";
import { metricDefinitions, stageTimeDefinition } from "./definitions";
import { headlineCards, type HeadlineCard } from "./headline";
import { queryMetrics } from "./query-metrics";
import { slowestStage, type MetricsReport } from "./report";
import { teamSql } from "./teams";
import { resolveFilters, resolveWindow, type MetricsQuery } from "./window";

export interface MetricsAnswer extends MetricsReport {
  headline: HeadlineCard[];
  slowestStage: string | null;
  definitions: { metrics: typeof metricDefinitions; stageTime: string };
}

/** The metrics API's answer: the aggregated report, its headline cards and the definitions. */
export async function loadMetrics(db: Db, query: MetricsQuery, now = new Date()): Promise<MetricsAnswer> {
  const window = resolveWindow(query, now);
  const report = await queryMetrics(db, window, resolveFilters(query));
  return {
    ...report,
    headline: headlineCards(report.current, report.previous, window.days),
    slowestStage: slowestStage(report.stageTotals),
    definitions: { metrics: metricDefinitions, stageTime: stageTimeDefinition },
  };
}

export interface MetricsFilterOptions {
  repositories: string[];
  teams: string[];
  simulatedRuns: number;
}

/** What the filters offer: every repository, every team derived from authors, and how many runs are simulated. */
export async function loadFilterOptions(db: Db): Promise<MetricsFilterOptions> {
  const [repositories, teams, simulatedRuns] = await Promise.all([
    db.repository.findMany({ select: { name: true }, orderBy: { name: "asc" } }),
    db.$queryRawUnsafe<{ team: string }[]>(
      `SELECT DISTINCT ${teamSql} AS team FROM (SELECT DISTINCT "repositoryId", author FROM "PullRequest") pr JOIN "Repository" repo ON repo.id = pr."repositoryId" ORDER BY 1`,
    ),
    db.pipelineRun.count({ where: { simulated: true } }),
  ]);
  return { repositories: repositories.map((r) => r.name), teams: teams.map((t) => t.team), simulatedRuns };
}
