import { CodeHostError, CodeHostLimitReached, CodeHostRateLimited } from "../code-host-errors";

interface OctokitErrorShape {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

const LIMIT_REACHED = /maximum number of statuses|reached the maximum|limit reached|too many statuses/i;

/** GitHub's own words: the body's message and its validation errors, shortened. Never request headers. */
function hostWords(error: OctokitErrorShape): string {
  const data = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const parts: string[] = [];
  if (typeof data?.message === "string") parts.push(data.message);
  if (Array.isArray(data?.errors)) {
    for (const item of data.errors) {
      if (typeof item === "string") parts.push(item);
      else if (item && typeof item === "object" && typeof (item as { message?: unknown }).message === "string") parts.push((item as { message: string }).message);
    }
  }
  if (parts.length === 0 && typeof error.message === "string") parts.push(error.message);
  const text = parts.join("; ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** Whether a 403/429 is GitHub's rate limit (primary or secondary) rather than a permission refusal. */
export function isRateLimitAnswer(status: number, headers: Record<string, string | number | undefined>, words: string): boolean {
  if (status === 429) return true;
  if (status !== 403) return false;
  return String(headers["x-ratelimit-remaining"]) === "0" || headers["retry-after"] !== undefined || /rate limit/i.test(words);
}

function retryAfterOf(headers: Record<string, string | number | undefined>, now: number): number | null {
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) return retryAfter;
  const reset = Number(headers["x-ratelimit-reset"]);
  if (headers["x-ratelimit-reset"] !== undefined && Number.isFinite(reset)) return Math.max(0, Math.ceil(reset - now / 1000));
  return null;
}

/** Turns whatever Octokit threw into one of the code host's errors; `action` says what Flowgate was doing. */
export function codeHostErrorFrom(error: unknown, action: string): CodeHostError {
  if (error instanceof CodeHostError) return error;
  const shape = (error && typeof error === "object" ? error : { message: String(error) }) as OctokitErrorShape;
  const status = typeof shape.status === "number" ? shape.status : undefined;
  const headers = shape.response?.headers ?? {};
  const words = hostWords(shape);
  if (status !== undefined && shape.response && isRateLimitAnswer(status, headers, words)) {
    const retryAfterSeconds = retryAfterOf(headers, Date.now());
    return new CodeHostRateLimited(`${action}: GitHub's rate limit (${status}: ${words})${retryAfterSeconds === null ? "" : `, retry after ${retryAfterSeconds} s`}`, { status, retryAfterSeconds });
  }
  if (status === 422 && LIMIT_REACHED.test(words)) return new CodeHostLimitReached(`${action}: GitHub's limit reached (${words})`, { status });
  if (status !== undefined && shape.response) return new CodeHostError(`${action}: GitHub answered ${status} (${words})`, { status });
  return new CodeHostError(`${action}: ${words || "request failed"}`, { status });
}
