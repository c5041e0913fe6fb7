import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

/**
 * The one Octokit Flowgate talks to GitHub with (ADR 018): REST endpoint methods and pagination,
 * plugin-throttling for GitHub's rate limits (bounded: a limit that outlasts the retries or the
 * wait cap surfaces as CodeHostRateLimited), plugin-retry for transient 5xx, a per-request timeout.
 */
export const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubOctokit = InstanceType<typeof GitHubOctokit>;
export type GitHubOctokitOptions = NonNullable<ConstructorParameters<typeof GitHubOctokit>[0]>;

/** What this layer logs through: pino's logger fits; tests pass a collector. Fields never hold a token. */
export interface GitHubLog {
  debug(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface GitHubClientLimits {
  /** Retries after a rate-limit answer (403/429 with retry-after or x-ratelimit-*), per request. */
  rateLimitRetries: number;
  /** The longest total wait for one request's rate limit; a longer announced wait is not waited for. */
  maxRateLimitWaitSeconds: number;
  /** Retries of a 5xx or a network failure, per request. */
  serverErrorRetries: number;
  /** plugin-retry waits (attempt²) × this between those retries. */
  serverErrorBaseDelayMs: number;
  /** One HTTP request's time limit. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: GitHubClientLimits = {
  rateLimitRetries: 2,
  maxRateLimitWaitSeconds: 60,
  serverErrorRetries: 2,
  serverErrorBaseDelayMs: 1000,
  requestTimeoutMs: 30_000,
};

// Statuses plugin-retry must leave alone: client errors, 405/409 (a merge's answer, not a glitch),
// and the rate-limit statuses that plugin-throttling owns (a second retry loop would unbound them).
const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 422, 429, 451];

let throttleIds = 0;

/** Constructor options shared by the app's client (JWT) and the installations' clients. */
export function gitHubOctokitOptions(baseUrl: string, limits: GitHubClientLimits, log: GitHubLog): GitHubOctokitOptions {
  // Rate-limit waits are counted per request: plugin-throttling passes the same options object to
  // every retry of one request.
  const waited = new WeakMap<object, number>();
  const onLimit = (kind: "primary" | "secondary") => (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
    const total = (waited.get(options) ?? 0) + retryAfter;
    const route = `${options.method} ${options.url}`;
    if (retryCount < limits.rateLimitRetries && total <= limits.maxRateLimitWaitSeconds) {
      waited.set(options, total);
      log.warn({ route, kind, retryAfterSeconds: retryAfter, retry: retryCount + 1 }, "GitHub rate limit: waiting, then retrying");
      return true;
    }
    log.warn({ route, kind, retryAfterSeconds: retryAfter, retries: retryCount }, "GitHub rate limit: giving up on this request");
    return false;
  };
  const timeoutMs = limits.requestTimeoutMs;
  const timedFetch: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs) });
  return {
    baseUrl,
    userAgent: "flowgate",
    request: { fetch: timedFetch },
    // Only the message string is forwarded: Octokit's debug lines carry request options, and the
    // throttling plugin's warnings an error object, either of which could hold a header.
    log: {
      debug: () => {},
      info: (message: unknown) => log.debug({ source: "octokit" }, String(message)),
      warn: (message: unknown) => log.warn({ source: "octokit" }, String(message)),
      error: (message: unknown) => log.debug({ source: "octokit" }, String(message)),
    },
    throttle: {
      // Writes from one host are spaced and serial (GitHub's advice against secondary limits);
      // one queue per host instance.
      id: `flowgate-github-${++throttleIds}`,
      onRateLimit: onLimit("primary"),
      onSecondaryRateLimit: onLimit("secondary"),
    },
    retry: { retries: limits.serverErrorRetries, retryAfterBaseValue: limits.serverErrorBaseDelayMs, doNotRetry: DO_NOT_RETRY },
  };
}
