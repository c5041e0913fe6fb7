import type { WebhookTargetSettings } from "../../lib/repositories/deploy-settings";
import { flowgateSignature } from "./webhook-signature";
import type { DeployContext, DeployTarget, StepResult } from "./types";

export type WebhookDeployEvent = "deploy" | "set_weight" | "promote" | "rollback";

/** What the receiver gets for each step, signed with the target's secret. */
export interface WebhookDeployBody {
  event: WebhookDeployEvent;
  run: { id: string; repository: string; pullRequestNumber: number; headSha: string; variables: Record<string, string> };
  environment: DeployContext["environment"];
  /** The candidate's traffic share the step leads to, percent. */
  weight: number;
  reason: string | null;
  sentAt: string;
}

// Enough of a refusal to say why; the whole body goes in the step's output up to the same size.
const MAX_BODY_CHARS = 500;

/**
 * Asks a receiver (a deploy service, Flagger-style hooks, a chat-ops bot) to perform each step:
 * a 2xx answer means done, anything else stops the pipeline with the status and what it said.
 */
export function createWebhookTarget(settings: WebhookTargetSettings, options: { fetchImpl?: typeof fetch; now?: () => Date } = {}): DeployTarget {
  const send = (ctx: DeployContext, event: WebhookDeployEvent, weight: number, reason: string | null) =>
    post(settings, { event, run: runOf(ctx), environment: ctx.environment, weight, reason, sentAt: (options.now ?? (() => new Date()))().toISOString() }, options.fetchImpl ?? fetch);
  return {
    kind: "webhook",
    deploy: (ctx) => send(ctx, "deploy", ctx.environment === "production" ? 0 : 100, null),
    setWeight: (ctx, percent) => send(ctx, "set_weight", percent, null),
    promote: (ctx) => send(ctx, "promote", 100, null),
    rollback: (ctx, reason) => send(ctx, "rollback", 0, reason),
  };
}

const runOf = (ctx: DeployContext) => ({ id: ctx.runId, repository: ctx.repository, pullRequestNumber: ctx.pullRequestNumber, headSha: ctx.headSha, variables: ctx.variables });

async function post(settings: WebhookTargetSettings, event: WebhookDeployBody, fetchImpl: typeof fetch): Promise<StepResult> {
  const body = JSON.stringify(event);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetchImpl(settings.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-flowgate-event": `deploy.${event.event}`, "x-flowgate-signature": flowgateSignature(settings.secret, body) },
      body,
      // A redirect is not a 2xx: the receiver must answer itself.
      redirect: "manual",
      signal: AbortSignal.timeout(settings.timeoutSeconds * 1000),
    });
    const text = redact((await response.text().catch(() => "")).slice(0, MAX_BODY_CHARS), settings);
    if (response.status >= 200 && response.status < 300) {
      return { ok: true, summary: `${event.event} webhook answered HTTP ${response.status}`, output: text, durationMs: elapsed() };
    }
    const detail = text.trim() ? `: ${text.trim()}` : "";
    return { ok: false, summary: `${event.event} webhook answered HTTP ${response.status}${detail}`, output: text, durationMs: elapsed() };
  } catch (err) {
    return { ok: false, summary: `${event.event} webhook failed: ${redact(transportError(err, settings.timeoutSeconds), settings)}`, durationMs: elapsed() };
  }
}

function transportError(err: unknown, timeoutSeconds: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${timeoutSeconds} s`;
  // undici says "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND) in the cause.
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.code ? `${message} (${cause.code})` : cause?.message ? `${message} (${cause.message})` : message;
}

/** Step summaries are shown in the UI and the audit log: never the URL (it may hold a token) or the secret. */
function redact(text: string, settings: WebhookTargetSettings): string {
  return text.split(settings.url).join("[url]").split(settings.secret).join("[secret]");
}
