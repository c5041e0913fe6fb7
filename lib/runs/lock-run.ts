import type { Prisma } from "../db/client";

/**
 * Locks a run's row for the rest of the transaction and returns its status.
 *
 * Lock order, in every transaction that changes a run: the PipelineRun row first, then its
 * StageRun or Escalation rows, and the audit log's append lock last (appendAuditEvent takes it).
 * Two transactions that take the same locks in the same order queue up instead of deadlocking:
 * a stage outcome being recorded and a new head SHA superseding that run once took them in
 * opposite orders, and PostgreSQL aborted one of them.
 */
export async function lockRun(tx: Prisma.TransactionClient, runId: string): Promise<{ status: string } | null> {
  const [row] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM "PipelineRun" WHERE id = ${runId} FOR UPDATE`;
  return row ?? null;
}
