import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import { DomainError } from "../errors";
import { runtimeEnvSchema } from "../env";
import type { Json } from "../json";
import { enqueueCodeHostDeliveryJob } from "./intake/delivery-job";

import { GITHUB_WEBHOOK_PATH } from "./github/app-manifest";

const RECENT_DELIVERIES = 50;
const RECENT_PUBLICATION_PROBLEMS = 20;

/** The publication statuses the outbox writes (lib/code-host/publish.ts). */
export const publicationStatuses = ["pending", "sent", "superseded", "skipped", "failed"] as const;

type EnvSource = Record<string, string | undefined>;
type GithubVariable = "GITHUB_APP_ID" | "GITHUB_APP_PRIVATE_KEY" | "GITHUB_WEBHOOK_SECRET" | "GITHUB_WEBHOOK_SECRET_PREVIOUS";

/**
 * Whether a variable is set, and valid when it is: never its value. Read from the process's
 * environment on every call (as the webhook's secrets are), so what Settings shows is what
 * receives the next delivery.
 */
function variableState(name: GithubVariable, source: EnvSource): "unset" | "set" | "invalid" {
  const raw = source[name];
  if (raw === undefined || raw === "") return "unset";
  return runtimeEnvSchema.shape[name].safeParse(raw).success ? "set" : "invalid";
}

/**
 * The GitHub App's configuration as presence flags (never a secret, a key or an id's value is
 * needed to say what is missing): configured when both the App id and its private key are set
 * and well-formed, as lib/code-host/hosts.ts requires.
 */
export function githubAppState(source: EnvSource = process.env) {
  const appId = variableState("GITHUB_APP_ID", source);
  const privateKey = variableState("GITHUB_APP_PRIVATE_KEY", source);
  const secret = variableState("GITHUB_WEBHOOK_SECRET", source);
  const previous = variableState("GITHUB_WEBHOOK_SECRET_PREVIOUS", source);
  const missing = (
    [
      ["GITHUB_APP_ID", appId],
      ["GITHUB_APP_PRIVATE_KEY", privateKey],
      ["GITHUB_WEBHOOK_SECRET", secret],
    ] as const
  )
    .filter(([, state]) => state === "unset")
    .map(([name]) => name);
  const invalid = (
    [
      ["GITHUB_APP_ID", appId],
      ["GITHUB_APP_PRIVATE_KEY", privateKey],
    ] as const
  )
    .filter(([, state]) => state === "invalid")
    .map(([name]) => name);
  return {
    configured: appId === "set" && privateKey === "set",
    appIdSet: appId === "set",
    privateKeySet: privateKey === "set",
    webhookSecretSet: secret === "set",
    previousSecretSet: previous === "set",
    /** Variables still to set (names only). */
    missing: missing as GithubVariable[],
    /** Variables set to something malformed (names only; the value is never echoed). */
    invalid: invalid as GithubVariable[],
    webhookPath: GITHUB_WEBHOOK_PATH,
  };
}

/**
 * The code-host part of Settings: the GitHub App's configuration (presence only), the repositories
 * installations registered, the last deliveries and what became of them, and the publications that
 * could not be sent. Delivery payloads are never read here: whether one is still kept is a flag.
 */
export async function loadCodeHostSettings(db: Db, source: EnvSource = process.env) {
  const repositories = await db.repository.findMany({
    where: { kind: { in: ["github", "gitlab"] } },
    orderBy: [{ hostRemovedAt: { sort: "asc", nulls: "first" } }, { name: "asc" }],
    select: { id: true, name: true, kind: true, hostInstallationId: true, hostRemovedAt: true, createdAt: true },
  });
  const deliveryRows = await db.codeHostDelivery.findMany({
    orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
    take: RECENT_DELIVERIES,
    select: { id: true, host: true, deliveryId: true, event: true, action: true, status: true, outcome: true, receivedAt: true, processedAt: true },
  });
  const failedIds = deliveryRows.filter((d) => d.status === "failed").map((d) => d.id);
  // Only the failed ones can be redelivered; ask which of those still keep a payload without reading it.
  const withPayload = failedIds.length
    ? await db.$queryRaw<{ id: string }[]>`SELECT id FROM "CodeHostDelivery" WHERE id = ANY(${failedIds}::text[]) AND payload IS NOT NULL`
    : [];
  const redeliverable = new Set(withPayload.map((r) => r.id));
  const counts = await db.codeHostPublication.groupBy({ by: ["status"], _count: { _all: true } });
  const problems = await db.codeHostPublication.findMany({
    where: { OR: [{ status: "failed" }, { status: "pending", error: { not: null } }] },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: RECENT_PUBLICATION_PROBLEMS,
    select: {
      id: true,
      runId: true,
      kind: true,
      name: true,
      status: true,
      error: true,
      attempts: true,
      createdAt: true,
      run: { select: { pullRequest: { select: { number: true, repository: { select: { name: true } } } } } },
    },
  });
  const publicationCounts: Record<string, number> = Object.fromEntries(publicationStatuses.map((s) => [s, 0]));
  for (const row of counts) publicationCounts[row.status] = row._count._all;

  return {
    github: githubAppState(source),
    repositories: repositories.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind as "github" | "gitlab",
      installationId: r.hostInstallationId,
      removedAt: r.hostRemovedAt,
      createdAt: r.createdAt,
    })),
    deliveries: deliveryRows.map((d) => ({ ...d, canRedeliver: redeliverable.has(d.id) })),
    publications: {
      counts: publicationCounts,
      problems: problems.map(({ run, ...p }) => ({
        ...p,
        repository: run.pullRequest.repository.name,
        pullRequest: run.pullRequest.number,
      })),
    },
  };
}

export type CodeHostSettings = Awaited<ReturnType<typeof loadCodeHostSettings>>;
/** GET /api/v1/code-host as the UI reads it (dates as strings). */
export type CodeHostSettingsResponse = Json<CodeHostSettings>;
export type CodeHostDeliveryView = CodeHostSettingsResponse["deliveries"][number];

/**
 * Sends a failed delivery through its job again: back to `received` with its outcome cleared, the
 * job enqueued (its key is the row's id, so a job left over from the last attempt is reset rather
 * than doubled) and an audit event, all in one transaction. Only a failed delivery whose payload is
 * still kept can go again; a processed or ignored one has nothing left to act on.
 */
export async function redeliverCodeHostDelivery(db: Db, options: { id: string; actor: AuditActor }) {
  return db.$transaction(async (tx) => {
    // The row lock makes two clicks one redelivery: the second finds it `received` and is refused.
    const [row] = await tx.$queryRaw<{ id: string; host: string; deliveryId: string; event: string; action: string | null; status: string; hasPayload: boolean }[]>`
      SELECT id, host, "deliveryId", event, action, status, payload IS NOT NULL AS "hasPayload"
      FROM "CodeHostDelivery" WHERE id = ${options.id} FOR UPDATE`;
    if (!row) throw new DomainError("not_found", `No code-host delivery ${options.id}`);
    if (row.status !== "failed") throw new DomainError("conflict", `Only a failed delivery can be redelivered; this one is ${row.status}`);
    if (!row.hasPayload) throw new DomainError("conflict", "This delivery's payload is no longer kept; redeliver it from the code host (GitHub: the App's Advanced settings)");
    const delivery = await tx.codeHostDelivery.update({
      where: { id: row.id },
      data: { status: "received", outcome: null, processedAt: null },
      select: { id: true, host: true, deliveryId: true, event: true, action: true, status: true, outcome: true, receivedAt: true, processedAt: true },
    });
    await enqueueCodeHostDeliveryJob(tx, { deliveryId: row.id });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "codehost.delivery_redelivered",
      subject: { type: "code_host_delivery", id: row.id },
      payload: { host: row.host, deliveryId: row.deliveryId, event: row.event, action: row.action },
    });
    return { ...delivery, canRedeliver: false };
  });
}
