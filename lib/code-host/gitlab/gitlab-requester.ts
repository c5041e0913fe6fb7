import { createRequesterFn, getMatchingRateLimiter, GitbeakerRequestError, GitbeakerTimeoutError, type RequesterType, type ResourceOptions } from "@gitbeaker/requester-utils";
import { CodeHostRateLimited } from "../code-host-errors";

/**
 * The transport under gitbeaker for Flowgate: gitbeaker's own (@gitbeaker/rest) retries a 429 or
 * 502 ten times within a few milliseconds and ignores Retry-After. This one is bounded like the
 * GitHub client (ADR 018): a 429 waits as long as GitLab asks (Retry-After, else RateLimit-Reset),
 * at most `maxRateLimitWaitSeconds` and `rateLimitRetries` times, then gives up as
 * CodeHostRateLimited; a 502/503/504 or a network error is retried with backoff; each request
 * has a timeout. Failures are thrown as gitbeaker's GitbeakerRequestError (cause: description,
 * request, response), the shape gitbeaker's callers know.
 */

export interface GitLabClientLimits {
  rateLimitRetries: number;
  maxRateLimitWaitSeconds: number;
  serverErrorRetries: number;
  serverErrorBaseDelayMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_GITLAB_LIMITS: GitLabClientLimits = {
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 60,
  serverErrorRetries: 2,
  serverErrorBaseDelayMs: 1000,
  requestTimeoutMs: 30_000,
};

export interface GitLabLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

const RETRY_STATUSES = new Set([502, 503, 504]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds GitLab asked to wait: Retry-After (seconds or a date), else RateLimit-Reset (epoch seconds). */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | null {
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const reset = Number(headers.get("ratelimit-reset") ?? "");
  if (headers.get("ratelimit-reset") !== null && Number.isFinite(reset)) return Math.max(0, Math.ceil(reset - now / 1000));
  return null;
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204) return null;
  const type = (response.headers.get("content-type") ?? "").split(";")[0].trim();
  if (type === "application/json") return response.json().then((v: unknown) => v ?? {});
  if (type.startsWith("text/")) return response.text();
  return response.blob();
}

async function requestError(request: Request, response: Response): Promise<never> {
  const content = await response.text();
  let description = content;
  if (response.headers.get("content-type")?.includes("application/json")) {
    try {
      const output = JSON.parse(content) as { error?: unknown; message?: unknown };
      const property = output?.error ?? output?.message ?? "";
      description = typeof property === "string" ? property : JSON.stringify(property);
    } catch {
      // not JSON after all: the text is the description
    }
  }
  throw new GitbeakerRequestError(description, { cause: { description, request, response } });
}

interface HandlerOptions {
  rateLimiters?: Parameters<typeof getMatchingRateLimiter>[1];
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit;
  prefixUrl?: string;
  searchParams?: string;
  signal?: AbortSignal;
  asStream?: boolean;
}

export function gitLabRequesterFn(limits: GitLabClientLimits, log: GitLabLog): (options: ResourceOptions) => RequesterType {
  const handler = async (endpoint: string, options: HandlerOptions) => {
    const { prefixUrl, searchParams, signal, asStream, method = "GET", headers, body, rateLimiters } = options;
    // gitbeaker's client-side pacing per endpoint (its defaults follow GitLab.com's documented limits).
    const pace = getMatchingRateLimiter(endpoint, rateLimiters, method);
    const base = prefixUrl ? (prefixUrl.endsWith("/") ? prefixUrl : `${prefixUrl}/`) : undefined;
    const url = new URL(endpoint, base);
    url.search = searchParams ?? "";
    let rateLimited = 0;
    let serverErrors = 0;
    for (;;) {
      await pace();
      const timeout = AbortSignal.timeout(limits.requestTimeoutMs);
      const request = new Request(url, { method, headers, body, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      let response: Response;
      try {
        response = await fetch(request);
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === "TimeoutError" || name === "AbortError") throw new GitbeakerTimeoutError(`GitLab did not answer ${method} ${url.pathname} within ${limits.requestTimeoutMs} ms`);
        if (serverErrors < limits.serverErrorRetries) {
          await sleep(limits.serverErrorBaseDelayMs * 2 ** serverErrors++);
          continue;
        }
        throw error;
      }
      if (response.ok) {
        const headersObject = Object.fromEntries(response.headers.entries());
        return { body: asStream ? response.body : await parseBody(response), headers: headersObject, status: response.status };
      }
      if (response.status === 429) {
        const wait = retryAfterSeconds(response.headers);
        if (rateLimited < limits.rateLimitRetries && (wait ?? 1) <= limits.maxRateLimitWaitSeconds) {
          await response.body?.cancel();
          log.warn({ path: url.pathname, method, retryAfterSeconds: wait, retry: rateLimited + 1 }, "GitLab rate limit: waiting, then retrying");
          rateLimited++;
          await sleep((wait ?? 1) * 1000);
          continue;
        }
        await response.body?.cancel();
        throw new CodeHostRateLimited(
          `GitLab's rate limit (429 on ${method} ${url.pathname})${wait === null ? "" : `, retry after ${wait} s`}`,
          { status: 429, retryAfterSeconds: wait },
        );
      }
      if (RETRY_STATUSES.has(response.status) && serverErrors < limits.serverErrorRetries) {
        await response.body?.cancel();
        await sleep(limits.serverErrorBaseDelayMs * 2 ** serverErrors++);
        continue;
      }
      return requestError(request, response);
    }
  };
  return createRequesterFn((_, requestOptions) => Promise.resolve(requestOptions), handler as never) as (options: ResourceOptions) => RequesterType;
}
