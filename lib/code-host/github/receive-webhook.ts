import { createHash } from "node:crypto";
import type { Db, Prisma } from "../../db/client";
import { newId } from "../../db/new-id";
import { appendAuditEvent, type AuditActor } from "../../audit/chain/append-audit-event";
import { ApiError } from "../../http/errors";
import { json } from "../../http/route";
import type { Logger } from "../../log";
import { enqueueCodeHostDeliveryJob } from "../delivery-job";
import { actionOf, classifyGithubEvent, repositoryFullNameOf } from "./classify-event";
import { githubWebhookSecrets, SIGNATURE_HEADER, verifyGithubSignature } from "./webhook-signature";

/** GitHub caps webhook payloads at 25 MB and does not send larger ones; anything larger is not GitHub. */
export const MAX_GITHUB_PAYLOAD_BYTES = 25 * 1024 * 1024;

const HOST = "github";
const GITHUB: AuditActor = { type: "system", id: "github", label: "GitHub webhook" };
// GitHub's delivery ids are GUIDs; anything this long or with other characters is not one of them.
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;

/**
 * POST /api/v1/hooks/github. Authenticity is the signature (X-Hub-Signature-256) over the raw body
 * bytes, checked before anything is parsed; then each delivery (X-GitHub-Delivery) is recorded
 * once, with its audit event and, when it is something Flowgate acts on, its job, in one
 * transaction. GitHub redelivers on timeouts and on request, so a repeat answers 200 and does nothing.
 *
 *   503  no webhook secret configured: unsigned hooks are never accepted
 *   413  body over 25 MB (refused before it is read whole or hashed)
 *   401  signature missing or not valid for the raw body under the current or previous secret
 *   400  signed, but no delivery id or event header (nothing recorded), or a body that is not a
 *        JSON object (recorded as failed, no job)
 *   200  a delivery already recorded ({ duplicate: true }); nothing stored, nothing enqueued
 *   202  recorded: status "received" with a codeHost.delivery job, or "ignored" (an event or
 *        action Flowgate does not act on; no job, payload not kept)
 */
export async function receiveGithubWebhook(db: Db, req: Request, log: Logger): Promise<Response> {
  const secrets = githubWebhookSecrets();
  if (secrets.length === 0) {
    throw new ApiError("unavailable", "GitHub webhooks are not configured: set GITHUB_WEBHOOK_SECRET (the GitHub App's webhook secret); unsigned deliveries are never accepted");
  }
  const body = await readBody(req, MAX_GITHUB_PAYLOAD_BYTES);
  if (!body) throw new ApiError("payload_too_large", `A GitHub webhook payload is at most ${MAX_GITHUB_PAYLOAD_BYTES} bytes`);
  if (!verifyGithubSignature(body, req.headers.get(SIGNATURE_HEADER), secrets)) {
    throw new ApiError("unauthenticated", "The X-Hub-Signature-256 header is missing or does not match the body under the configured webhook secret");
  }

  const deliveryId = req.headers.get("x-github-delivery")?.trim() ?? "";
  const event = req.headers.get("x-github-event")?.trim() ?? "";
  if (!DELIVERY_ID.test(deliveryId)) throw new ApiError("bad_request", "The X-GitHub-Delivery header is missing or malformed");
  if (!EVENT_NAME.test(event)) throw new ApiError("bad_request", "The X-GitHub-Event header is missing or malformed");

  const payloadHash = createHash("sha256").update(body).digest("hex");
  const parsed = parsePayload(body, req.headers.get("content-type"));
  const classified = parsed.ok ? classifyGithubEvent(event, parsed.value) : null;
  const action = parsed.ok ? actionOf(parsed.value) : null;
  const status = !parsed.ok ? "failed" : classified?.kind === "ignored" ? "ignored" : "received";
  const outcome = !parsed.ok ? parsed.problem : classified?.kind === "ignored" ? classified.reason : null;
  // Kept only for the job to act on, and cleared by it; an ignored or failed delivery keeps none.
  const storedPayload = status === "received" && parsed.ok ? storableJson(parsed.text) : null;

  const recorded = await db.$transaction(
    async (tx) => {
      const id = await insertOnce(tx, { deliveryId, event, action, payloadHash, status, outcome, payload: storedPayload });
      if (!id) return null;
      await appendAuditEvent(tx, {
        actor: GITHUB,
        action: "codehost.delivery_received",
        subject: { type: "code_host_delivery", id },
        payload: {
          host: HOST,
          deliveryId,
          event,
          action,
          repository: parsed.ok ? repositoryFullNameOf(parsed.value) : null,
          payloadHash,
          status,
          ...(outcome ? { outcome } : {}),
        },
      });
      if (status === "received") await enqueueCodeHostDeliveryJob(tx, { deliveryId: id });
      return id;
    },
    // A burst of deliveries queues on the audit chain's lock; give them time rather than fail.
    { maxWait: 30_000, timeout: 30_000 },
  );

  if (!recorded) {
    log.info({ deliveryId, event }, "GitHub delivery already recorded");
    return json({ duplicate: true, deliveryId }, { status: 200 });
  }
  log.info({ deliveryId, event, action, status, id: recorded }, "GitHub delivery recorded");
  if (!parsed.ok) throw new ApiError("bad_request", `Delivery ${deliveryId} recorded as failed: ${parsed.problem}`);
  return json({ id: recorded, deliveryId, status, ...(outcome ? { reason: outcome } : {}) }, { status: 202 });
}

/**
 * The raw body, or null when it is larger than the limit: a declared Content-Length over it is
 * refused without reading, and a body without one is read only up to the limit.
 */
async function readBody(req: Request, limit: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > limit) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

type ParsedPayload = { ok: true; value: Record<string, unknown>; text: string } | { ok: false; problem: string };

function parsePayload(body: Uint8Array, contentType: string | null): ParsedPayload {
  if (contentType?.toLowerCase().includes("application/x-www-form-urlencoded")) {
    return { ok: false, problem: "the webhook sends form-encoded payloads; set its content type to application/json" };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return { ok: false, problem: "the body is not UTF-8" };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: "the body is not valid JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { ok: false, problem: "the body is not a JSON object" };
  return { ok: true, value: value as Record<string, unknown>, text };
}

/**
 * The payload as PostgreSQL's jsonb takes it. jsonb refuses a NUL (\u0000) and a lone surrogate
 * (\ud800) that JSON allows; a pull request's title or body could hold either. Only then is the
 * payload rewritten, with U+FFFD in their place.
 */
function storableJson(text: string): string {
  if (!/\\u0000|\\u[dD][89a-fA-F]/.test(text)) return text;
  const clean = (value: unknown): unknown => {
    if (typeof value === "string") return value.replaceAll("\u0000", "\uFFFD").toWellFormed();
    if (Array.isArray(value)) return value.map(clean);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [clean(k), clean(v)]));
    return value;
  };
  return JSON.stringify(clean(JSON.parse(text)));
}

/** Inserts the delivery unless (host, deliveryId) is there already; its id, or null for a repeat. */
async function insertOnce(
  tx: Prisma.TransactionClient,
  row: { deliveryId: string; event: string; action: string | null; payloadHash: string; status: string; outcome: string | null; payload: string | null },
): Promise<string | null> {
  const processedAt = row.status === "received" ? null : new Date();
  // ON CONFLICT DO NOTHING: a concurrent repeat waits for the first insert's transaction and then
  // inserts nothing, so exactly one of any number of simultaneous deliveries is recorded.
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "CodeHostDelivery" (id, host, "deliveryId", event, action, "payloadHash", payload, status, outcome, "processedAt")
    VALUES (${newId()}, ${HOST}, ${row.deliveryId}, ${row.event}, ${row.action}, ${row.payloadHash}, ${row.payload}::jsonb, ${row.status}, ${row.outcome}, ${processedAt})
    ON CONFLICT (host, "deliveryId") DO NOTHING
    RETURNING id`;
  return rows[0]?.id ?? null;
}
