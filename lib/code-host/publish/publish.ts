import { runLink } from "../../app-links";
import type { Db } from "../../db/client";
import type { Logger } from "../../log";
import type { CheckPublication, CodeHost, DeploymentPublication, HostRepository, MergeMethod, MergeResult } from "../code-host";
import { CodeHostRateLimited } from "../code-host-errors";
import { queuePublications, type PublishJobPayload } from "./outbox";
import { stickyCommentBody } from "./sticky-comment";

/** The host and the repository on it that a run's publications go to; null when none is configured. */
export type HostResolver = (repository: { kind: string; location: string; hostInstallationId: string | null }) => { host: CodeHost; repository: HostRepository } | null;

/**
 * Sends the newest pending publication of one name for a run (the `codeHost.publish` job). Older
 * pending ones of the same name are superseded: only the latest state matters on the host. A check
 * is an upsert by name and commit and the comment is found by its marker, so a job retried after a
 * crash between sending and marking sends the same state again and creates nothing twice.
 *
 * Rate-limited: nothing is posted (a rate-limited Flowgate never posts a failing status that would
 * block a merge), the error is recorded and the queue retries later, within its attempts.
 */
export async function publishPending(db: Db, resolveHost: HostResolver, job: PublishJobPayload, log: Logger): Promise<"sent" | "nothing" | "no_host"> {
  const pending = await db.codeHostPublication.findMany({
    where: { runId: job.runId, kind: job.kind, name: job.name, status: "pending" },
    orderBy: { createdAt: "desc" },
    select: { id: true, headSha: true, payload: true, run: { select: { pullRequest: { select: { number: true, repository: { select: { kind: true, location: true, hostInstallationId: true } } } } } } },
  });
  const [latest, ...older] = pending;
  if (!latest) return "nothing";
  if (older.length > 0) await db.codeHostPublication.updateMany({ where: { id: { in: older.map((p) => p.id) } }, data: { status: "superseded" } });

  const { pullRequest } = latest.run;
  const target = resolveHost(pullRequest.repository);
  if (!target) {
    await db.codeHostPublication.update({ where: { id: latest.id }, data: { error: "no code host is configured for this repository" } });
    return "no_host";
  }
  let merge: MergeResult | undefined;
  try {
    if (job.kind === "check") await target.host.publishCheck(target.repository, latest.payload as unknown as CheckPublication);
    else if (job.kind === "comment") await target.host.upsertStickyComment(target.repository, pullRequest.number, (latest.payload as { body: string }).body);
    else if (job.kind === "deployment") await target.host.publishDeployment(target.repository, latest.payload as unknown as DeploymentPublication);
    else merge = await target.host.mergePullRequest(target.repository, pullRequest.number, { sha: latest.headSha, method: (latest.payload as { method: MergeMethod }).method });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.codeHostPublication.update({ where: { id: latest.id }, data: { attempts: { increment: 1 }, error: message.slice(0, 500) } });
    log.warn({ runId: job.runId, name: job.name, rateLimited: error instanceof CodeHostRateLimited, error: message }, "publishing to the code host failed; the queue retries");
    throw error;
  }
  if (merge && !merge.merged) {
    // The host would not merge (the base moved, a required check is missing): the deployed change
    // stays a pull request, and the comment says why and what to do.
    const reason = merge.reason ?? "the host did not say why";
    await db.$transaction(async (tx) => {
      await tx.codeHostPublication.update({ where: { id: latest.id }, data: { status: "failed", attempts: { increment: 1 }, error: reason.slice(0, 500) } });
      const body = stickyCommentBody({
        stage: "deployment",
        state: "promoted, not merged",
        summary: `The canary was promoted, but the pull request could not be merged: ${reason}. Bring it up to date with its base; the push starts a new run.`,
        notes: 0,
        runUrl: runLink(job.runId),
      });
      await queuePublications(tx, job.runId, [{ kind: "comment", headSha: latest.headSha, body }]);
    });
    log.warn({ runId: job.runId, reason }, "deploy-then-merge: the pull request was not merged");
    return "sent";
  }
  await db.codeHostPublication.update({ where: { id: latest.id }, data: { status: "sent", sentAt: new Date(), attempts: { increment: 1 }, error: null } });
  if (merge?.merged) await db.pullRequest.updateMany({ where: { runs: { some: { id: job.runId } } }, data: { mergedAt: new Date() } });
  return "sent";
}
