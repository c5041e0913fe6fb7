import type { Db } from "../../db/client";
import type { AuditActor } from "../../audit/chain/append-audit-event";
import { ApiError } from "../../http/errors";
import type { Logger } from "../../log";
import { readBody, recordDelivery } from "../intake/record-delivery";
import { actionOf, classifyGithubEvent, repositoryFullNameOf } from "./classify-event";
import { githubWebhookSecrets, SIGNATURE_HEADER, verifyGithubSignature } from "./webhook-signature";

/** GitHub caps webhook payloads at 25 MB and does not send larger ones; anything larger is not GitHub. */
export const MAX_GITHUB_PAYLOAD_BYTES = 25 * 1024 * 1024;

const HOST = "github" as const;
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

  return recordDelivery(db, log, {
    host: HOST,
    label: "GitHub",
    actor: GITHUB,
    deliveryId,
    event,
    body,
    contentType: req.headers.get("content-type"),
    classify: classifyGithubEvent,
    actionOf,
    repositoryOf: repositoryFullNameOf,
  });
}
