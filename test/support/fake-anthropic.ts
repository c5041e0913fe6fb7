import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** Wire shape of a message's usage, as the Messages API sends it. */
export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
}

interface Delayed {
  /** Hold the response this long first, to drive client timeouts. */
  delayMs?: number;
}

/** A successful message whose single text block is `text`. */
export interface FakeTextResponse extends Delayed {
  text: string;
  /** Defaults to the requested model. */
  model?: string;
  usage?: FakeUsage;
  stopReason?: "end_turn" | "max_tokens" | "refusal";
}

/** Any status with a verbatim JSON body. */
export interface FakeJsonResponse extends Delayed {
  status: number;
  json: object;
  headers?: Record<string, string>;
}

/** An error with the body the real API sends for that status. */
export interface FakeErrorResponse extends Delayed {
  status: number;
  message?: string;
  /** Seconds, sent as the `retry-after` header. */
  retryAfter?: number;
}

export type FakeResponse = FakeTextResponse | FakeJsonResponse | FakeErrorResponse;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface FakeAnthropic {
  baseURL: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Responses for the next POST /v1/messages requests, one each, in order. */
  enqueue(...responses: FakeResponse[]): void;
  close(): Promise<void>;
}

// The error `type` the real API puts in the body for each status.
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

const DEFAULT_USAGE: FakeUsage = { input_tokens: 120, output_tokens: 40 };

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: object;
}

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1, speaking its wire format: tests drive
 * the real SDK against it. Responses are scripted per request; an unscripted request fails loudly.
 */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: FakeResponse[] = [];
  const pendingDelays = new Set<NodeJS.Timeout>();

  const server = http.createServer(async (req, res) => {
    const recorded = await recordRequest(req);
    requests.push(recorded);
    const scripted = isAuthenticated(recorded.headers) && isMessagesCall(recorded) ? queue.shift() : undefined;
    const reply = replyTo(recorded, scripted, requests.length);
    const send = () => writeReply(res, reply);
    const delayMs = scripted?.delayMs ?? 0;
    if (delayMs <= 0) return send();
    const timer = setTimeout(() => {
      pendingDelays.delete(timer);
      if (!res.destroyed) send();
    }, delayMs);
    pendingDelays.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...responses) => void queue.push(...responses),
    close: async () => {
      for (const timer of pendingDelays) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

async function recordRequest(req: http.IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString("utf8");
  return { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: parseBody(raw) };
}

function parseBody(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** The SDK sends the key as `x-api-key` or as `authorization: Bearer`, depending on configuration. */
function isAuthenticated(headers: RecordedRequest["headers"]): boolean {
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey.trim() !== "") return true;
  const bearer = /^Bearer\s+(\S+)/i.exec(String(headers.authorization ?? ""));
  return bearer !== null;
}

function isMessagesCall(request: RecordedRequest): boolean {
  return request.method === "POST" && request.path.split("?")[0] === "/v1/messages";
}

function replyTo(request: RecordedRequest, scripted: FakeResponse | undefined, requestNumber: number): Reply {
  if (!isAuthenticated(request.headers)) {
    return errorReply(401, "x-api-key or authorization: Bearer header is required");
  }
  if (!isMessagesCall(request)) {
    return errorReply(404, `fake-anthropic serves only POST /v1/messages, not ${request.method} ${request.path}`);
  }
  if (!scripted) {
    // x-should-retry: false stops the SDK (and its callers' loops) from retrying the mistake.
    const reply = errorReply(500, `fake-anthropic: no response queued for request #${requestNumber}`);
    return { ...reply, headers: { ...reply.headers, "x-should-retry": "false" } };
  }
  if ("text" in scripted) return messageReply(request, scripted);
  if ("json" in scripted) return { status: scripted.status, headers: { ...scripted.headers }, body: scripted.json };
  return scriptedErrorReply(scripted);
}

function messageReply(request: RecordedRequest, scripted: FakeTextResponse): Reply {
  return {
    status: 200,
    headers: {},
    body: {
      id: `msg_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
      type: "message",
      role: "assistant",
      model: scripted.model ?? request.body?.model ?? "claude-sonnet-4-6",
      content: [{ type: "text", text: scripted.text }],
      stop_reason: scripted.stopReason ?? "end_turn",
      stop_sequence: null,
      usage: scripted.usage ?? DEFAULT_USAGE,
    },
  };
}

function scriptedErrorReply(scripted: FakeErrorResponse): Reply {
  const reply = errorReply(scripted.status, scripted.message);
  if (scripted.retryAfter !== undefined) reply.headers["retry-after"] = String(scripted.retryAfter);
  return reply;
}

function errorReply(status: number, message?: string): Reply {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
  return {
    status,
    headers: {},
    body: { type: "error", error: { type, message: message ?? defaultErrorMessage(type) } },
  };
}

function defaultErrorMessage(type: string): string {
  if (type === "rate_limit_error") return "Number of request tokens has exceeded your per-minute rate limit";
  if (type === "overloaded_error") return "Overloaded";
  if (type === "api_error") return "Internal server error";
  return type.replaceAll("_", " ");
}

function writeReply(res: http.ServerResponse, reply: Reply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "request-id": `req_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    ...reply.headers,
  });
  res.end(body);
}

/** A review agent's answer (the review output schema) with nothing found, at the given risk. */
export function reviewAnswer(risk: number, fields: { autoApprovable?: boolean; requiresHuman?: boolean; rationale?: string; usage?: FakeUsage } = {}): FakeTextResponse {
  return {
    text: JSON.stringify({
      risk_score: risk,
      security_issues: [],
      performance_concerns: [],
      coverage_gaps: [],
      api_breaking_changes: [],
      auto_approvable: fields.autoApprovable ?? risk < 7,
      requires_human_review: fields.requiresHuman ?? risk >= 7,
      review_rationale: fields.rationale ?? `reviewed at risk ${risk}`,
    }),
    ...(fields.usage ? { usage: fields.usage } : {}),
  };
}
