import { setTimeout as sleep } from "node:timers/promises";
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { zodOutputFormat } from "@anthropic-ai/sdk/helpers/zod";
import type { MessageParam } from "@anthropic-ai/sdk/resources/messages";
import type { z } from "zod";
import {
  LlmError,
  type LlmErrorKind,
  type LlmProvider,
  type LlmUsage,
  type StructuredRequest,
  type StructuredResult,
} from "./provider";

export const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6";

const DEFAULT_MAX_TOKENS = 4096;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 3;
// The SDK's own schedule: 0.5 s doubling to at most 8 s.
const DEFAULT_RETRY_BASE_DELAY_MS = 500;
const DEFAULT_RETRY_MAX_DELAY_MS = 8_000;
// A retry-after beyond this would park a pipeline job for minutes; wait this long at most.
const RETRY_AFTER_LIMIT_MS = 60_000;

export interface AnthropicProviderOptions {
  apiKey: string;
  baseURL?: string;
  model?: string;
  /** Default max_tokens per request; 4096. */
  maxTokens?: number;
  /** Per HTTP request, not per structured call; 60 000. */
  timeoutMs?: number;
  /** Retries of one request on 408/409/429/5xx, timeouts and connection errors; 3. */
  maxRetries?: number;
  /** First backoff delay, doubled per retry (with jitter) when the API gives no retry-after; 500. */
  retryBaseDelayMs?: number;
  /** Cap of the exponential backoff; 8000. */
  retryMaxDelayMs?: number;
}

interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

interface CallContext {
  client: Anthropic;
  model: string;
  apiKey: string;
  retry: RetryPolicy;
}

/**
 * Structured output goes through `messages.parse` with `zodOutputFormat`, so the schema the API
 * constrains decoding with is the same zod schema the reply is validated against.
 *
 * Retries are our own loop around an SDK client with `maxRetries: 0`, not the SDK's: the SDK does
 * not report how many requests a call took (attempts belong in the audit trail), and its backoff is
 * fixed at 0.5 s doubling, which tests cannot shorten. The loop keeps the SDK's policy otherwise:
 * the same retryable statuses, `x-should-retry`, and `retry-after-ms` / `retry-after`.
 */
export function createAnthropicProvider(options: AnthropicProviderOptions): LlmProvider {
  const model = options.model ?? DEFAULT_ANTHROPIC_MODEL;
  const defaultMaxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  const context: CallContext = {
    client: new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxRetries: 0,
    }),
    model,
    apiKey: options.apiKey,
    retry: {
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
      maxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
    },
  };
  return {
    name: "anthropic",
    model,
    structured: (request) => runStructuredCall(context, request, request.maxTokens ?? defaultMaxTokens),
  };
}

/** The zod verdict on one reply: kept as a value so an unusable reply can be repaired. */
type ReplyVerdict<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * `zodOutputFormat` whose parse reports instead of throwing. The SDK's parse throws on bad JSON or
 * a schema mismatch and drops the message with it, and the repair turn needs that message's text,
 * while the audit trail needs its usage.
 */
function reportingOutputFormat<T>(schema: z.ZodType<T>) {
  const strict = zodOutputFormat(schema);
  return {
    ...strict,
    parse: (text: string): ReplyVerdict<T> => {
      try {
        return { ok: true, value: strict.parse(text) };
      } catch (error) {
        return { ok: false, problem: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/** Everything one structured call has spent and seen so far, across retries and the repair turn. */
class CallLedger {
  attempts = 0;
  usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  readonly sentTexts: string[] = [];
  readonly replyTexts: string[] = [];
  readonly startedAt = performance.now();

  latencyMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}

interface Reply<T> {
  verdict: ReplyVerdict<T>;
  text: string;
  model: string;
}

async function runStructuredCall<T>(
  context: CallContext,
  request: StructuredRequest<T>,
  maxTokens: number,
): Promise<StructuredResult<T>> {
  const ledger = new CallLedger();
  const ask = makeAsker(context, ledger, request, maxTokens);
  ledger.sentTexts.push(request.system, request.prompt);

  const conversation: MessageParam[] = [{ role: "user", content: request.prompt }];
  const first = await ask(conversation);
  if (first.verdict.ok) return resultOf(ledger, first, first.verdict.value, false);

  const repairText = repairInstruction(first.verdict.problem);
  ledger.sentTexts.push(repairText);
  const second = await ask([...conversation, ...repairTurn(first.text, repairText)]);
  if (second.verdict.ok) return resultOf(ledger, second, second.verdict.value, true);

  throw new LlmError(
    "invalid_output",
    redactKey(`model output failed the schema twice (after one repair turn): ${second.verdict.problem}`, context.apiKey),
    ledger.attempts,
    ledger.usage,
  );
}

function resultOf<T>(ledger: CallLedger, reply: Reply<T>, output: T, repaired: boolean): StructuredResult<T> {
  return {
    output,
    usage: { ...ledger.usage },
    latencyMs: ledger.latencyMs(),
    model: reply.model,
    attempts: ledger.attempts,
    requestText: ledger.sentTexts.join("\n\n"),
    responseText: ledger.replyTexts.join("\n\n"),
    repaired,
  };
}

/** One request/response exchange, retried per the policy, recorded in the ledger. */
function makeAsker<T>(context: CallContext, ledger: CallLedger, request: StructuredRequest<T>, maxTokens: number) {
  const format = reportingOutputFormat(request.schema);
  return async (messages: MessageParam[]): Promise<Reply<T>> => {
    const message = await withRetries(context, ledger, () =>
      context.client.messages.parse({
        model: context.model,
        max_tokens: maxTokens,
        system: request.system,
        messages,
        output_config: { format },
      }),
    );
    ledger.usage.inputTokens += message.usage.input_tokens;
    ledger.usage.outputTokens += message.usage.output_tokens;
    const text = message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
    ledger.replyTexts.push(text);
    return { verdict: verdictOf(message.parsed_output, message.stop_reason, maxTokens), text, model: message.model };
  };
}

/** parsed_output is null when the reply had no text block at all (e.g. a refusal or an empty turn). */
function verdictOf<T>(parsed: ReplyVerdict<T> | null, stopReason: string | null, maxTokens: number): ReplyVerdict<T> {
  const verdict = parsed ?? { ok: false as const, problem: "the reply contained no text" };
  if (verdict.ok || stopReason === "end_turn" || stopReason === null) return verdict;
  const why = stopReason === "max_tokens" ? `it was cut off at max_tokens (${maxTokens})` : `stop_reason was ${stopReason}`;
  return { ok: false, problem: `${verdict.problem}\n(${why})` };
}

function repairInstruction(problem: string): string {
  return [
    "Your previous reply could not be used: it is not valid JSON for the required schema.",
    `Validation error:\n${problem}`,
    "Reply again with only the corrected JSON object, matching the schema exactly, with no prose and no code fences.",
  ].join("\n\n");
}

/**
 * The model sees its own reply as the assistant turn, then the correction. An empty reply cannot
 * be an assistant turn (the API rejects empty text blocks), so it is left out and the API merges
 * the two user turns.
 */
function repairTurn(previousReply: string, instruction: string): MessageParam[] {
  const correction: MessageParam = { role: "user", content: instruction };
  return previousReply.trim() === "" ? [correction] : [{ role: "assistant", content: previousReply }, correction];
}

async function withRetries<R>(context: CallContext, ledger: CallLedger, send: () => Promise<R>): Promise<R> {
  for (let retry = 0; ; retry++) {
    ledger.attempts++;
    try {
      return await send();
    } catch (error) {
      const delayMs = retryDelayMs(error, retry, context.retry);
      if (delayMs === undefined) throw toLlmError(error, ledger, context.apiKey);
      await sleep(delayMs);
    }
  }
}

/** How long to wait before retry number `retry + 1`, or undefined when this failure is final. */
function retryDelayMs(error: unknown, retry: number, policy: RetryPolicy): number | undefined {
  if (retry >= policy.maxRetries || !isRetryable(error)) return undefined;
  const serverAsked = error instanceof APIError ? retryAfterMs(error.headers) : undefined;
  if (serverAsked !== undefined) return Math.min(serverAsked, RETRY_AFTER_LIMIT_MS);
  const backoff = Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
  // Up to 25 % jitter, as the SDK does, so parallel agents do not retry in lockstep.
  return backoff * (1 - Math.random() * 0.25);
}

function isRetryable(error: unknown): boolean {
  // Timeouts are connection errors too; aborts by the caller are not APIConnectionErrors.
  if (error instanceof APIConnectionError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  const serverSays = error.headers?.get("x-should-retry");
  if (serverSays === "true") return true;
  if (serverSays === "false") return false;
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
}

/** `retry-after-ms` (Anthropic-specific), else `retry-after` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const header = headers?.get("retry-after");
  if (!header) return undefined;
  const seconds = Number.parseFloat(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function toLlmError(error: unknown, ledger: CallLedger, apiKey: string): unknown {
  if (!(error instanceof APIError)) return error; // not an API failure: a bug, surface it as is
  const kind = errorKind(error);
  const tried = `after ${ledger.attempts} attempt${ledger.attempts === 1 ? "" : "s"}`;
  const message = `Anthropic API ${kind} ${tried}: ${describeApiError(error)}`;
  const spent = ledger.usage.inputTokens + ledger.usage.outputTokens > 0 ? { ...ledger.usage } : undefined;
  // Built from status, type and the API's message only, and redacted besides: a proxy in front of
  // the API may echo request headers into its error body.
  return new LlmError(kind, redactKey(message, apiKey), ledger.attempts, spent);
}

function errorKind(error: APIError): LlmErrorKind {
  if (error instanceof APIConnectionTimeoutError) return "timeout";
  if (error instanceof APIConnectionError || error.status === undefined) return "connection";
  if (error.status === 429) return "rate_limited";
  if (error.status === 529 || error.type === "overloaded_error") return "overloaded";
  if (error.status >= 500) return "server_error";
  if (error.status === 401 || error.status === 403) return "auth";
  if (error.status === 408) return "timeout";
  return "bad_request";
}

function describeApiError(error: APIError): string {
  if (error.status === undefined) return error.message;
  const type = error.type ? ` ${error.type}` : "";
  const detail = error.apiMessage ? `: ${error.apiMessage}` : "";
  const requestId = error.requestID ? ` (request-id ${error.requestID})` : "";
  return `HTTP ${error.status}${type}${detail}${requestId}`;
}

function redactKey(text: string, apiKey: string): string {
  // A very short "key" would shred ordinary words; real keys are long.
  return apiKey.length >= 8 ? text.split(apiKey).join("[redacted]") : text;
}
