import { createHash, timingSafeEqual } from "node:crypto";
import type { AuditActor } from "../../audit/chain/append-audit-event";
import type { Db } from "../../db/client";
import { envVar } from "../../env";
import { ApiError } from "../../http/errors";
import type { Logger } from "../../log";
import { readBody, recordDelivery } from "../intake/record-delivery";
import { classifyGitlabEvent, gitlabActionOf, gitlabProjectPathOf } from "./classify-event";

/** GitLab's default cap on a webhook payload is 25 MB; anything larger is not from GitLab. */
export const MAX_GITLAB_PAYLOAD_BYTES = 25 * 1024 * 1024;
export const TOKEN_HEADER = "x-gitlab-token";

const GITLAB: AuditActor = { type: "system", id: "gitlab", label: "GitLab webhook" };
// GitLab's event UUIDs (and Idempotency-Keys) are UUIDs; anything longer or stranger is not one.
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const EVENT_NAME = /^[A-Za-z][A-Za-z ]{0,63}$/;

/**
 * Whether the X-Gitlab-Token header is the configured secret token. Both are hashed with SHA-256
 * first and the digests compared in constant time, so neither the token's content nor its length
 * shows in the answer's timing.
 */
export function verifyGitlabToken(given: string | null, expected: string): boolean {
  if (given === null || expected === "") return false;
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * POST /api/v1/hooks/gitlab. GitLab does not sign its hooks: authenticity is the secret token it
 * sends as X-Gitlab-Token (GITLAB_WEBHOOK_TOKEN), checked before the body is parsed. Each event is
 * recorded once by its X-Gitlab-Event-UUID (a retry of the same event carries the same UUID, and
 * an Idempotency-Key, used when the UUID is missing); then as GitHub's (lib/code-host/record-delivery.ts).
 *
 *   503  no webhook token configured
 *   413  body over 25 MB
 *   401  X-Gitlab-Token missing or not the configured token
 *   400  no event UUID or event header (nothing recorded), or a body that is not a JSON object
 *   200  a delivery already recorded ({ duplicate: true })
 *   202  recorded ("received" with a codeHost.delivery job, or "ignored")
 */
export async function receiveGitlabWebhook(db: Db, req: Request, log: Logger): Promise<Response> {
  const token = envVar("GITLAB_WEBHOOK_TOKEN");
  if (!token) throw new ApiError("unavailable", "GitLab webhooks are not configured: set GITLAB_WEBHOOK_TOKEN (the webhook's secret token); deliveries without it are never accepted");
  const body = await readBody(req, MAX_GITLAB_PAYLOAD_BYTES);
  if (!body) throw new ApiError("payload_too_large", `A GitLab webhook payload is at most ${MAX_GITLAB_PAYLOAD_BYTES} bytes`);
  if (!verifyGitlabToken(req.headers.get(TOKEN_HEADER), token)) {
    throw new ApiError("unauthenticated", "The X-Gitlab-Token header is missing or is not the configured webhook secret token");
  }

  const deliveryId = (req.headers.get("x-gitlab-event-uuid") ?? req.headers.get("idempotency-key"))?.trim() ?? "";
  const event = req.headers.get("x-gitlab-event")?.trim() ?? "";
  if (!DELIVERY_ID.test(deliveryId)) throw new ApiError("bad_request", "The X-Gitlab-Event-UUID header is missing or malformed");
  if (!EVENT_NAME.test(event)) throw new ApiError("bad_request", "The X-Gitlab-Event header is missing or malformed");

  return recordDelivery(db, log, {
    host: "gitlab",
    label: "GitLab",
    actor: GITLAB,
    deliveryId,
    event,
    body,
    contentType: req.headers.get("content-type"),
    classify: classifyGitlabEvent,
    actionOf: gitlabActionOf,
    repositoryOf: gitlabProjectPathOf,
  });
}
