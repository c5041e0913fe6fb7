import { z } from "zod";
import type { Prisma } from "../../db/client";

/** The job that acts on one recorded webhook delivery (a CodeHostDelivery row), on a runner. */
export const CODE_HOST_DELIVERY_JOB = "codeHost.delivery";

export const codeHostDeliveryJobPayloadSchema = z.object({ deliveryId: z.string().min(1) });
export type CodeHostDeliveryJobPayload = z.infer<typeof codeHostDeliveryJobPayloadSchema>;

// Failures here are the database or the host's API being away for a moment; the queue's backoff
// over five attempts spans a few minutes. A delivery that still fails is marked failed by its handler.
export const CODE_HOST_DELIVERY_MAX_ATTEMPTS = 5;

/**
 * Enqueues the delivery's job inside the caller's transaction, the one that records the delivery:
 * the job exists exactly when the row does. The job key (the row's id) makes a repeated enqueue a no-op.
 */
export async function enqueueCodeHostDeliveryJob(tx: Prisma.TransactionClient, payload: CodeHostDeliveryJobPayload) {
  const job = codeHostDeliveryJobPayloadSchema.parse(payload);
  const key = `codehost:${job.deliveryId}`;
  await tx.$executeRaw`SELECT graphile_worker.add_job(
    ${CODE_HOST_DELIVERY_JOB}, ${JSON.stringify(job)}::json,
    max_attempts => ${CODE_HOST_DELIVERY_MAX_ATTEMPTS}::int, job_key => ${key})`;
}
