import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Prisma } from "../../db/client";
import type { CheckPublication, DeploymentPublication, MergeMethod } from "../code-host";

export const PUBLISH_JOB = "codeHost.publish";

export const publishJobPayloadSchema = z.object({
  runId: z.string().min(1),
  kind: z.enum(["check", "comment", "merge", "deployment"]),
  name: z.string().min(1),
});
export type PublishJobPayload = z.infer<typeof publishJobPayloadSchema>;

// A host that is down or rate-limits us is retried by the queue with its backoff; after the last
// attempt the publication stays pending and the run page says so.
const QUEUE_MAX_ATTEMPTS = 8;

export type Publication =
  | { kind: "check"; check: CheckPublication }
  | { kind: "comment"; body: string; headSha: string }
  /** Deploy-then-merge: the promoted head merged into the default branch. */
  | { kind: "merge"; headSha: string; method: MergeMethod }
  /** A deployment's state in one environment (GitHub Deployments). */
  | { kind: "deployment"; deployment: DeploymentPublication };

/** A publication as its outbox row: one name per thing on the host (a check, the comment, an environment). */
function rowOf(publication: Publication): { kind: Publication["kind"]; name: string; headSha: string; payload: unknown } {
  switch (publication.kind) {
    case "check":
      return { kind: "check", name: publication.check.name, headSha: publication.check.headSha, payload: publication.check };
    case "comment":
      return { kind: "comment", name: "sticky", headSha: publication.headSha, payload: { body: publication.body } };
    case "merge":
      return { kind: "merge", name: "merge", headSha: publication.headSha, payload: { method: publication.method } };
    case "deployment":
      return { kind: "deployment", name: publication.deployment.environment, headSha: publication.deployment.headSha, payload: publication.deployment };
  }
}

/**
 * Queues what the code host should show, inside the caller's transaction (the one that records the
 * outcome), so a publication exists exactly when its outcome does. Only changes are queued (GitHub
 * keeps at most 1,000 statuses per commit and name): a publication equal to the last one of its
 * name for the run is dropped. One job per name, keyed, so a burst of changes sends the latest once.
 */
export async function queuePublications(tx: Prisma.TransactionClient, runId: string, publications: Publication[]): Promise<number> {
  const rows = publications.map(rowOf);
  // The last publication of each of these names, in one query.
  const latest = await tx.codeHostPublication.findMany({
    where: { runId, kind: { in: rows.map((r) => r.kind) }, name: { in: rows.map((r) => r.name) } },
    orderBy: { createdAt: "desc" },
    distinct: ["kind", "name"],
    select: { kind: true, name: true, headSha: true, payload: true, status: true },
  });
  let queued = 0;
  for (const row of rows) {
    const last = latest.find((l) => l.kind === row.kind && l.name === row.name);
    if (last && last.status !== "superseded" && last.headSha === row.headSha && isDeepStrictEqual(last.payload, JSON.parse(JSON.stringify(row.payload)))) continue;
    await tx.codeHostPublication.create({ data: { runId, kind: row.kind, name: row.name, headSha: row.headSha, payload: row.payload as unknown as Prisma.InputJsonValue }, select: { id: true } });
    const job: PublishJobPayload = { runId, kind: row.kind, name: row.name };
    await tx.$executeRaw`SELECT graphile_worker.add_job(${PUBLISH_JOB}, ${JSON.stringify(job)}::json,
      max_attempts => ${QUEUE_MAX_ATTEMPTS}::int, job_key => ${`publish:${runId}:${row.kind}:${row.name}`}, job_key_mode => 'replace')`;
    queued += 1;
  }
  return queued;
}
