import { createHmac } from "node:crypto";
import type { Db } from "../../lib/db/client";
import type { EscalationNotificationPayload, RollbackNotificationPayload } from "../../lib/notifications/notify";

const DEFAULT_TIMEOUT_MS = 10_000;
// Enough of a receiver's answer to say why it refused ("invalid_payload", "no_service").
const MAX_ERROR_LENGTH = 300;

export interface DeliverOptions {
  attempt: number;
  maxAttempts: number;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

interface Channel {
  kind: "slack" | "webhook";
  url: string;
  secret: string | null;
  enabled: boolean;
}

interface Outcome {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * Delivers one outbox row. A failure is recorded on the row before anything else happens; then,
 * before the last attempt, it throws so the queue retries with its backoff, and on the last one it
 * marks the row failed and returns, so the failure stays visible in the row rather than only in
 * the queue's table.
 */
export async function deliverNotification(db: Db, notificationId: string, options: DeliverOptions): Promise<void> {
  const notification = await db.notification.findUnique({ where: { id: notificationId }, include: { channel: true } });
  // Gone with its channel, or already settled by an earlier run of the same job.
  if (!notification || notification.status !== "pending") return;

  const outcome = notification.channel.enabled
    ? await post(notification.channel, requestFor(notification.channel, notification), options)
    : { ok: false, status: null, error: "channel disabled before delivery" };

  if (outcome.ok) {
    await db.notification.update({
      where: { id: notification.id },
      data: { status: "delivered", deliveredAt: new Date(), attempts: { increment: 1 }, lastStatus: outcome.status, lastError: null },
    });
    return;
  }
  const isLast = options.attempt >= options.maxAttempts || !notification.channel.enabled;
  await db.notification.update({
    where: { id: notification.id },
    data: { attempts: { increment: 1 }, lastStatus: outcome.status, lastError: outcome.error, ...(isLast ? { status: "failed" } : {}) },
  });
  if (!isLast) throw new Error(`notification ${notification.id} attempt ${options.attempt}/${options.maxAttempts} failed: ${outcome.error}`);
}

function requestFor(channel: Channel, notification: { id: string; event: string; payload: unknown }): { body: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (channel.kind === "slack") {
    return { body: JSON.stringify(slackMessage(notification.event, notification.payload as EscalationNotificationPayload | RollbackNotificationPayload)), headers };
  }
  const body = JSON.stringify({ event: notification.event, sentAt: new Date().toISOString(), data: notification.payload });
  headers["x-flowgate-event"] = notification.event;
  // Retries send the same id, so a receiver can drop duplicates.
  headers["x-flowgate-delivery"] = notification.id;
  if (channel.secret) headers["x-flowgate-signature"] = `sha256=${createHmac("sha256", channel.secret).update(body).digest("hex")}`;
  return { body, headers };
}

/** A Slack incoming-webhook message: `text` for notifications and plain receivers, blocks for the channel. */
export function slackMessage(event: string, payload: EscalationNotificationPayload | RollbackNotificationPayload) {
  if (event === "deployment.rolled_back") return rollbackMessage(payload as RollbackNotificationPayload);
  return escalationMessage(event, payload as EscalationNotificationPayload);
}

function rollbackMessage(payload: RollbackNotificationPayload) {
  const pr = payload.pullRequest;
  const summary = `Rolled back: ${slackEscape(`${payload.repository} #${pr?.number ?? "?"} ${pr?.title ?? ""}`.trim())} — ${slackEscape(payload.reason)}`;
  return {
    text: `${summary}\n<${payload.link}|Open the incident report>`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${summary}*` } },
      { type: "section", text: { type: "mrkdwn", text: slackEscape(payload.incident?.hypothesis ?? "") } },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open the incident report" }, url: payload.link }] },
    ],
  };
}

function escalationMessage(event: string, payload: EscalationNotificationPayload) {
  const headline = event === "escalation.sla_breached" ? "SLA breached" : "Escalation";
  const pr = payload.pullRequest;
  const parts = [
    `${payload.repository} #${pr?.number ?? "?"} ${pr?.title ?? ""}`.trim(),
    (payload.reasons ?? []).join(", ") || "needs a human decision",
    `due ${formatTime(payload.dueAt)}`,
  ];
  const summary = `${headline}: ${parts.map(slackEscape).join(" — ")}`;
  const link = `<${payload.link}|Open escalation>`;
  return {
    text: `${summary}\n${link}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${summary}*` } },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: `Author ${slackEscape(pr?.author ?? "unknown")} · stage ${slackEscape(payload.stage ?? "?")}` }],
      },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open escalation" }, url: payload.link }] },
    ],
  };
}

// Slack treats &, < and > as control characters in mrkdwn; a PR title must not become a link.
function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function formatTime(iso: string | undefined): string {
  if (!iso) return "unknown";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

async function post(channel: Channel, request: { body: string; headers: Record<string, string> }, options: DeliverOptions): Promise<Outcome> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const response = await fetchImpl(channel.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => {});
      return { ok: true, status: response.status, error: null };
    }
    const text = await response.text().catch(() => "");
    const detail = text.trim() ? `: ${text.trim()}` : "";
    return { ok: false, status: response.status, error: redact(`HTTP ${response.status}${detail}`, channel) };
  } catch (err) {
    return { ok: false, status: null, error: redact(transportError(err, timeoutMs), channel) };
  }
}

function transportError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${timeoutMs / 1000} s`;
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND) in the cause.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message} (${cause.message})` : message;
}

/** Errors are shown in the UI: the URL (which can hold a token) and the secret never appear in them. */
function redact(message: string, channel: Channel): string {
  let text = message.split(channel.url).join("[url]");
  if (channel.secret) text = text.split(channel.secret).join("[secret]");
  return text.replace(/\s+/g, " ").slice(0, MAX_ERROR_LENGTH);
}
