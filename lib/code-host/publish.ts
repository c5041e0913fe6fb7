import type { Db } from "../db/client";
import type { Logger } from "../log";
import type { CheckPublication, CodeHost, HostRepository } from "./code-host";
import { CodeHostRateLimited } from "./code-host-errors";
import type { PublishJobPayload } from "./outbox";

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
  try {
    if (job.kind === "check") await target.host.publishCheck(target.repository, latest.payload as unknown as CheckPublication);
    else await target.host.upsertStickyComment(target.repository, pullRequest.number, (latest.payload as { body: string }).body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.codeHostPublication.update({ where: { id: latest.id }, data: { attempts: { increment: 1 }, error: message.slice(0, 500) } });
    log.warn({ runId: job.runId, name: job.name, rateLimited: error instanceof CodeHostRateLimited, error: message }, "publishing to the code host failed; the queue retries");
    throw error;
  }
  await db.codeHostPublication.update({ where: { id: latest.id }, data: { status: "sent", sentAt: new Date(), attempts: { increment: 1 }, error: null } });
  return "sent";
}
