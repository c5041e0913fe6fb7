import type { Prisma } from "../db/client";
import { newId } from "../db/new-id";
import { addStageJobCall } from "../jobs/stage-job";
import { nextStage, type Stage } from "./stages";

export const NOT_CONFIGURED = "waiting: stage not configured";

/**
 * Moves a run past `fromStage` inside the caller's transaction: queues the next stage's first
 * attempt (and its job), or leaves the run waiting at a stage without an agent, or completes it.
 * `riskScore` is written with the run's new state (the recorder passes the review's).
 *
 * Each branch is ONE statement (data-modifying CTEs): this sits on the hot path of every stage
 * transition, inside a transaction that holds the run's lock, so every round trip saved shortens
 * the transition. Raw SQL also returns nothing of the run's row (which holds its diff). The next
 * attempt's id is made here (newId) because Prisma's `@default(cuid())` applies only to its own
 * model calls. `at` is when the run moved on: the next attempt's queuedAt and the run's updatedAt
 * (the recorder passes the time its stage finished, so queue time runs from there).
 */
export async function continueRun(
  tx: Prisma.TransactionClient,
  options: { runId: string; fromStage: Stage; isConfigured: (stage: Stage) => boolean; riskScore?: number; at?: Date },
) {
  const { runId, fromStage } = options;
  const next = nextStage(fromStage);
  const at = options.at ?? new Date();
  const riskScore = options.riskScore ?? null;
  if (!next) {
    await tx.$executeRaw`
      UPDATE "PipelineRun" SET status = 'done', "currentStage" = ${fromStage}::"Stage", "finishedAt" = ${at}, "updatedAt" = ${at},
                               "riskScore" = COALESCE(${riskScore}::int, "riskScore")
       WHERE id = ${runId}`;
    return { status: "done" as const, stage: fromStage };
  }
  if (!options.isConfigured(next)) {
    await tx.$executeRaw`
      WITH next_attempt AS (
        INSERT INTO "StageRun" (id, "runId", stage, attempt, status, summary, "queuedAt")
        VALUES (${newId()}, ${runId}, ${next}::"Stage", 1, 'not_configured', ${NOT_CONFIGURED}, ${at})
      )
      UPDATE "PipelineRun" SET status = 'waiting', "currentStage" = ${next}::"Stage", "updatedAt" = ${at},
                               "riskScore" = COALESCE(${riskScore}::int, "riskScore")
       WHERE id = ${runId}`;
    return { status: "waiting" as const, stage: next };
  }
  // A SELECT in a CTE runs only if the statement reads it, so add_job is the main query and the
  // writes are the CTEs (which always run to completion).
  await tx.$executeRaw`
    WITH next_attempt AS (
      INSERT INTO "StageRun" (id, "runId", stage, attempt, status, "queuedAt")
      VALUES (${newId()}, ${runId}, ${next}::"Stage", 1, 'queued', ${at})
    ), run AS (
      UPDATE "PipelineRun" SET status = 'queued', "currentStage" = ${next}::"Stage", "updatedAt" = ${at},
                               "riskScore" = COALESCE(${riskScore}::int, "riskScore")
       WHERE id = ${runId}
    )
    SELECT ${addStageJobCall({ runId, stage: next, attempt: 1 })}`;
  return { status: "queued" as const, stage: next };
}
