/**
 * What a code host's failure means to the caller, whichever host it is. The publisher decides
 * from the class: a rate-limited host gets nothing (or a neutral check later), never a failing
 * status; a full commit gets no more statuses; anything else is an ordinary error to retry or
 * escalate. Messages name the action and the host's answer, never a token or a key.
 */
export class CodeHostError extends Error {
  /** The host's HTTP status, when it answered (not `status`: Octokit's plugins read that field on anything thrown through them). */
  readonly httpStatus: number | undefined;

  constructor(message: string, options: { status?: number } = {}) {
    super(message);
    this.name = "CodeHostError";
    this.httpStatus = options.status;
  }
}

/** The host still refused for its rate limit after the bounded retries (or asked for a longer wait than allowed). */
export class CodeHostRateLimited extends CodeHostError {
  /** How long the host asked to wait, in seconds, when it said. */
  readonly retryAfterSeconds: number | null;

  constructor(message: string, options: { status?: number; retryAfterSeconds?: number | null } = {}) {
    super(message, options);
    this.name = "CodeHostRateLimited";
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
  }
}

/** A hard per-object limit of the host (GitHub's 1,000 statuses per commit and context): retrying cannot help. */
export class CodeHostLimitReached extends CodeHostError {
  constructor(message: string, options: { status?: number } = {}) {
    super(message, options);
    this.name = "CodeHostLimitReached";
  }
}
