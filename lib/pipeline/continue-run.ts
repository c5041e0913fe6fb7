import type { Prisma } from "../db/client";
import { enqueueStageJob } from "../jobs/stage-job";
import { nextStage, type Stage } from "./stages";

export const NOT_CONFIGURED = "waiting: stage not configured";

/** Writes here return only the id: a run's row holds its diff (up to megabytes), which Prisma would otherwise send back. */
const ONLY_ID = { id: true } as const;

/**
 * Moves a run past `fromStage` inside the caller's transaction: queues the next stage's first
 * attempt (and its job), or leaves the run waiting at a stage without an agent, or completes it.
 * `runData` is written with the run's new state (the recorder passes the review's risk score).
 */
export async function continueRun(
  tx: Prisma.TransactionClient,
  options: { runId: string; fromStage: Stage; isConfigured: (stage: Stage) => boolean; runData?: Prisma.PipelineRunUpdateInput },
) {
  const next = nextStage(options.fromStage);
  const runData = options.runData ?? {};
  if (!next) {
    await tx.pipelineRun.update({ where: { id: options.runId }, select: ONLY_ID, data: { ...runData, status: "done", currentStage: options.fromStage, finishedAt: new Date() } });
    return { status: "done" as const, stage: options.fromStage };
  }
  if (!options.isConfigured(next)) {
    await tx.stageRun.create({ select: ONLY_ID, data: { runId: options.runId, stage: next, attempt: 1, status: "not_configured", summary: NOT_CONFIGURED } });
    await tx.pipelineRun.update({ where: { id: options.runId }, select: ONLY_ID, data: { ...runData, status: "waiting", currentStage: next } });
    return { status: "waiting" as const, stage: next };
  }
  await tx.stageRun.create({ select: ONLY_ID, data: { runId: options.runId, stage: next, attempt: 1 } });
  await tx.pipelineRun.update({ where: { id: options.runId }, select: ONLY_ID, data: { ...runData, status: "queued", currentStage: next } });
  await enqueueStageJob(tx, { runId: options.runId, stage: next, attempt: 1 });
  return { status: "queued" as const, stage: next };
}
