import { z } from "zod";
import type { Db } from "../db/client";
import { finishedRunStatuses } from "../pipeline/stages";

export const boardFilterSchema = z.object({
  repository: z.string().trim().min(1).optional(),
  status: z.enum(["active", "escalated", "finished", "all"]).default("all"),
  // Simulated history (ctl simulate-history) is for the metrics page; the board hides it unless asked.
  simulated: z.enum(["hide", "show"]).default("hide"),
});
export type BoardFilter = z.infer<typeof boardFilterSchema>;

export interface BoardCard {
  id: string;
  status: string;
  currentStage: string | null;
  stageStatus: string | null;
  stageSummary: string | null;
  riskScore: number | null;
  repository: string;
  pullRequest: { number: number; title: string; author: string };
  /** When the run entered its current stage: the board shows time in stage from it. */
  stageSince: string;
  updatedAt: string;
  simulated: boolean;
}

const FINISHED_SHOWN = 30;

/** The board's cards: every unfinished run, and the most recent finished ones. */
/** GET /api/v1/runs: the board's cards, the repositories to filter by, and how many simulated runs it hides. */
export interface BoardResponse {
  cards: BoardCard[];
  repositories: string[];
  simulatedRuns: number;
}

export async function loadBoard(db: Db, filter: BoardFilter): Promise<BoardResponse> {
  const repositoryWhere = {
    ...(filter.repository ? { pullRequest: { repository: { name: filter.repository } } } : {}),
    ...(filter.simulated === "hide" ? { simulated: false } : {}),
  };
  const finished = [...finishedRunStatuses];
  const include = {
    pullRequest: { include: { repository: { select: { name: true } } } },
    stageRuns: { orderBy: [{ queuedAt: "desc" as const }], take: 1 },
  };
  const [active, done, repositories, simulatedRuns] = await Promise.all([
    filter.status === "finished"
      ? []
      : db.pipelineRun.findMany({
          where: { ...repositoryWhere, status: filter.status === "escalated" ? "escalated" : { notIn: finished } },
          orderBy: { createdAt: "asc" },
          take: 500,
          include,
        }),
    filter.status === "all" || filter.status === "finished"
      ? db.pipelineRun.findMany({ where: { ...repositoryWhere, status: { in: finished } }, orderBy: { updatedAt: "desc" }, take: FINISHED_SHOWN, include })
      : [],
    db.repository.findMany({ select: { name: true }, orderBy: { name: "asc" } }),
    db.pipelineRun.count({ where: { simulated: true } }),
  ]);
  const cards = [...active, ...done].map((run) => {
    const latest = run.stageRuns[0];
    return {
      id: run.id,
      status: run.status,
      currentStage: run.currentStage,
      stageStatus: latest?.status ?? null,
      stageSummary: latest?.summary ?? null,
      riskScore: run.riskScore,
      repository: run.pullRequest.repository.name,
      pullRequest: { number: run.pullRequest.number, title: run.pullRequest.title, author: run.pullRequest.author },
      stageSince: (latest?.startedAt ?? latest?.queuedAt ?? run.createdAt).toISOString(),
      updatedAt: run.updatedAt.toISOString(),
      simulated: run.simulated,
    };
  });
  return { cards, repositories: repositories.map((r) => r.name), simulatedRuns };
}
