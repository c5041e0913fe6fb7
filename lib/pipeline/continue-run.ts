import type { Prisma as PrismaTypes } from "../db/client";
import { Prisma } from "../db/generated/client";
import { newId } from "../db/new-id";
import { withWrites } from "../db/with-writes";
import { addStageJobCall } from "./stage-job";
import { nextStage, type Stage } from "./stages";

/**
 * Moves a run past `fromStage` inside the caller's transaction: queues the next stage's first
 * attempt (and its job), or completes the run after the last stage.
 * `riskScore` is written with the run's new state (the recorder passes the review's).
 *
 * It is ONE statement (data-modifying CTEs), together with the caller's `alsoWrite` (the recorder
 * passes the end of the stage attempt and its decision): this sits on the hot path of every stage
 * transition, inside a transaction that holds the run's lock, so every round trip saved shortens
 * the transition. Raw SQL also returns nothing of the run's row (which holds its diff). The next
 * attempt's id is made here (newId) because Prisma's `@default(cuid())` applies only to its own
 * model calls. `at` is when the run moved on: the next attempt's queuedAt and the run's updatedAt
 * (the recorder passes the time its stage finished, so queue time runs from there).
 */
export async function continueRun(
  tx: PrismaTypes.TransactionClient,
  options: { runId: string; fromStage: Stage; riskScore?: number; at?: Date; alsoWrite?: Prisma.Sql[] },
) {
  const { runId, fromStage } = options;
  const next = nextStage(fromStage);
  const at = options.at ?? new Date();
  const alsoWrite = options.alsoWrite ?? [];
  const updateRun = (status: "done" | "queued", stage: Stage) =>
    runStateUpdate({ runId, status, stage, at, finished: status === "done", riskScore: options.riskScore });
  if (!next) {
    await tx.$executeRaw(withWrites(alsoWrite, updateRun("done", fromStage)));
    return { status: "done" as const, stage: fromStage };
  }
  const queuedAttempt = Prisma.sql`
    INSERT INTO "StageRun" (id, "runId", stage, attempt, status, "queuedAt")
    VALUES (${newId()}, ${runId}, ${next}::"Stage", 1, 'queued', ${at})`;
  // A SELECT in a CTE runs only if the statement reads it, so add_job is the main query.
  await tx.$executeRaw(withWrites([...alsoWrite, queuedAttempt, updateRun("queued", next)], Prisma.sql`SELECT ${addStageJobCall({ runId, stage: next, attempt: 1 })}`));
  return { status: "queued" as const, stage: next };
}

/**
 * The UPDATE that moves a run to its new state at `at`: `finishedAt` is set when it ended and
 * cleared otherwise, and a risk score, when given, replaces the stored one. As SQL, for a caller
 * that sends it in one statement with other writes (withWrites).
 */
export function runStateUpdate(update: { runId: string; status: string; stage: Stage; at: Date; finished: boolean; riskScore?: number }): Prisma.Sql {
  return Prisma.sql`
    UPDATE "PipelineRun" SET status = ${update.status}::"RunStatus", "currentStage" = ${update.stage}::"Stage", "updatedAt" = ${update.at},
                             "finishedAt" = ${update.finished ? update.at : null}, "riskScore" = COALESCE(${update.riskScore ?? null}::int, "riskScore")
     WHERE id = ${update.runId}`;
}
