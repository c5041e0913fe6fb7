import { queueRunEnded } from "../code-host/publish/queue-outcome";
import type { Prisma } from "../db/client";
import { activeRunStatuses } from "../pipeline/stages";

/**
 * Ends a pull request's active runs inside the caller's transaction: a newer head superseded them
 * (`superseded`), or the pull request was closed (`cancelled`, no successor). One conditional
 * update, so a run a runner finished a moment ago is not ended after the fact. Attempts still
 * waiting for a runner will never run (a running one is cancelled when it reports) and their open
 * escalations no longer need a person. On a code host, each ended run's gate goes `cancelled`.
 */
export async function endActiveRuns(
  tx: Prisma.TransactionClient,
  options: { pullRequestId: string; exceptRunId?: string; supersededBy: string | null; reason: string },
): Promise<string[]> {
  const now = new Date();
  const ended = await tx.pipelineRun.updateManyAndReturn({
    where: { pullRequestId: options.pullRequestId, ...(options.exceptRunId ? { id: { not: options.exceptRunId } } : {}), status: { in: [...activeRunStatuses] } },
    data: { status: options.supersededBy ? "superseded" : "cancelled", supersededBy: options.supersededBy, finishedAt: now },
    select: { id: true, headSha: true, currentStage: true },
  });
  const ids = ended.map((r) => r.id);
  if (ids.length > 0) {
    await tx.stageRun.updateMany({ where: { runId: { in: ids }, status: "queued" }, data: { status: "cancelled", finishedAt: now, summary: `cancelled: ${options.reason}` } });
    await tx.escalation.updateMany({ where: { runId: { in: ids }, status: "open" }, data: { status: "cancelled", decidedAt: now } });
    const { repository } = await tx.pullRequest.findUniqueOrThrow({ where: { id: options.pullRequestId }, select: { repository: { select: { kind: true } } } });
    for (const run of ended) {
      await queueRunEnded(tx, { repositoryKind: repository.kind, runId: run.id, headSha: run.headSha, stage: run.currentStage ?? "review", reason: options.reason });
    }
  }
  return ids;
}
