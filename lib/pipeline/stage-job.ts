import { z } from "zod";
import type { Prisma as PrismaTypes } from "../db/client";
import { Prisma } from "../db/generated/client";
import { stages } from "./stages";

export const STAGE_JOB = "stage.run";

export const stageJobPayloadSchema = z.object({
  runId: z.string().min(1),
  stage: z.enum(stages),
  attempt: z.number().int().positive(),
});
export type StageJobPayload = z.infer<typeof stageJobPayloadSchema>;

// Infrastructure failures (a lost database connection) are retried by the queue itself; agent
// failures are retried by the engine as new stage attempts, so this only bounds the former.
const QUEUE_MAX_ATTEMPTS = 10;

/**
 * Enqueues a stage job inside the caller's transaction: it becomes visible to runners only when
 * the state change that asked for it commits, and never if it rolls back. The job key makes a
 * repeated enqueue of the same attempt a no-op.
 */
export async function enqueueStageJob(tx: PrismaTypes.TransactionClient, payload: StageJobPayload, options: { delayMs?: number } = {}) {
  await tx.$executeRaw`SELECT ${addStageJobCall(payload, options)}`;
}

/**
 * The `graphile_worker.add_job(...)` call that enqueues a stage job, as an SQL expression, for a
 * statement that makes the state change and enqueues its job in one round trip (continueRun).
 */
export function addStageJobCall(payload: StageJobPayload, options: { delayMs?: number } = {}): Prisma.Sql {
  const job = stageJobPayloadSchema.parse(payload);
  const runAt = new Date(Date.now() + (options.delayMs ?? 0));
  const key = `${job.runId}:${job.stage}:${job.attempt}`;
  return Prisma.sql`graphile_worker.add_job(
    ${STAGE_JOB}, ${JSON.stringify(job)}::json,
    run_at => ${runAt}::timestamptz, max_attempts => ${QUEUE_MAX_ATTEMPTS}::int,
    job_key => ${key}, job_key_mode => 'preserve_run_at')`;
}
