import { createHash } from "node:crypto";
import type { Db, Prisma } from "../../db/client";
import { newId } from "../../db/new-id";
import { appendAuditEvent, type AuditActor } from "../../audit/chain/append-audit-event";
import { ApiError } from "../../http/errors";
import { json } from "../../http/route";
import type { Logger } from "../../log";
import type { CodeHostKind } from "../code-host";
import type { HostEvent } from "../github/classify-event";
import { enqueueCodeHostDeliveryJob } from "./delivery-job";

/**
 * What every code host's webhook receiver does once the delivery is authentic (a GitHub signature,
 * a GitLab token): the delivery is recorded once by (host, delivery id), with its audit event and,
 * when it is something Flowgate acts on, its `codeHost.delivery` job, in one transaction. A repeat
 * answers 200 and does nothing.
 *
 *   400  a body that is not a JSON object (recorded as failed, no job)
 *   200  a delivery already recorded ({ duplicate: true }); nothing stored, nothing enqueued
 *   202  recorded: status "received" with a job, or "ignored" (no job, payload not kept)
 */

export interface DeliveryToRecord {
  host: CodeHostKind;
  /** The host's name in log lines and messages ("GitHub", "GitLab"). */
  label: string;
  actor: AuditActor;
  deliveryId: string;
  event: string;
  body: Uint8Array;
  contentType: string | null;
  /** What the delivery means, from its event and parsed payload (the host's classifier). */
  classify: (event: string, payload: Record<string, unknown>) => HostEvent;
  /** The payload's action, and the repository it is about, for the row and the audit event. */
  actionOf: (payload: Record<string, unknown>) => string | null;
  repositoryOf: (payload: Record<string, unknown>) => string | null;
}

export async function recordDelivery(db: Db, log: Logger, delivery: DeliveryToRecord): Promise<Response> {
  const { host, label, deliveryId, event } = delivery;
  const payloadHash = createHash("sha256").update(delivery.body).digest("hex");
  const parsed = parsePayload(delivery.body, delivery.contentType);
  const classified = parsed.ok ? delivery.classify(event, parsed.value) : null;
  const action = parsed.ok ? delivery.actionOf(parsed.value) : null;
  const status = !parsed.ok ? "failed" : classified?.kind === "ignored" ? "ignored" : "received";
  const outcome = !parsed.ok ? parsed.problem : classified?.kind === "ignored" ? classified.reason : null;
  // Kept only for the job to act on, and cleared by it; an ignored or failed delivery keeps none.
  const storedPayload = status === "received" && parsed.ok ? storableJson(parsed.text) : null;

  const recorded = await db.$transaction(
    async (tx) => {
      const id = await insertOnce(tx, { host, deliveryId, event, action, payloadHash, status, outcome, payload: storedPayload });
      if (!id) return null;
      await appendAuditEvent(tx, {
        actor: delivery.actor,
        action: "codehost.delivery_received",
        subject: { type: "code_host_delivery", id },
        payload: {
          host,
          deliveryId,
          event,
          action,
          repository: parsed.ok ? delivery.repositoryOf(parsed.value) : null,
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
    log.info({ host, deliveryId, event }, `${label} delivery already recorded`);
    return json({ duplicate: true, deliveryId }, { status: 200 });
  }
  log.info({ host, deliveryId, event, action, status, id: recorded }, `${label} delivery recorded`);
  if (!parsed.ok) throw new ApiError("bad_request", `Delivery ${deliveryId} recorded as failed: ${parsed.problem}`);
  return json({ id: recorded, deliveryId, status, ...(outcome ? { reason: outcome } : {}) }, { status: 202 });
}

/**
 * The raw body, or null when it is larger than the limit: a declared Content-Length over it is
 * refused without reading, and a body without one is read only up to the limit.
 */
export async function readBody(req: Request, limit: number): Promise<Uint8Array | null> {
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
  row: { host: CodeHostKind; deliveryId: string; event: string; action: string | null; payloadHash: string; status: string; outcome: string | null; payload: string | null },
): Promise<string | null> {
  const processedAt = row.status === "received" ? null : new Date();
  // ON CONFLICT DO NOTHING: a concurrent repeat waits for the first insert's transaction and then
  // inserts nothing, so exactly one of any number of simultaneous deliveries is recorded.
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "CodeHostDelivery" (id, host, "deliveryId", event, action, "payloadHash", payload, status, outcome, "processedAt")
    VALUES (${newId()}, ${row.host}, ${row.deliveryId}, ${row.event}, ${row.action}, ${row.payloadHash}, ${row.payload}::jsonb, ${row.status}, ${row.outcome}, ${processedAt})
    ON CONFLICT (host, "deliveryId") DO NOTHING
    RETURNING id`;
  return rows[0]?.id ?? null;
}
