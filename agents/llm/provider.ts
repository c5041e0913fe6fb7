import type { z } from "zod";

/** Tokens billed for one structured call, summed over every request it made (repair included). */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface StructuredRequest<T> {
  system: string;
  prompt: string;
  /** The output contract: sent to the model as its output format and enforced on the reply. */
  schema: z.ZodType<T>;
  /** Overrides the provider's default max_tokens for this call. */
  maxTokens?: number;
}

export interface StructuredResult<T> {
  output: T;
  usage: LlmUsage;
  /** Wall time of the whole call, retries, backoff and repair included. */
  latencyMs: number;
  /** The model that answered, as the API reports it (may be a dated snapshot of the requested one). */
  model: string;
  /** HTTP requests made: 1 for a clean call, more after retries and the repair turn. */
  attempts: number;
  /** the exact text sent, for the audit trail */
  requestText: string;
  /** raw text(s) the model returned, joined */
  responseText: string;
  /** True when the first reply was unusable and the repair turn produced the output. */
  repaired: boolean;
}

export interface LlmProvider {
  readonly name: "anthropic";
  readonly model: string;
  structured<T>(request: StructuredRequest<T>): Promise<StructuredResult<T>>;
}

export type LlmErrorKind =
  | "rate_limited"
  | "overloaded"
  | "server_error"
  | "timeout"
  | "invalid_output"
  | "auth"
  | "bad_request"
  | "connection";

/**
 * A structured call that failed for good: retries (and the repair turn, for invalid output) are
 * already spent. The kind lets callers choose between rescheduling the job and falling back.
 */
export class LlmError extends Error {
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    /** HTTP requests made before giving up. */
    readonly attempts: number,
    /** Tokens already billed when the failure came after a successful request (e.g. a failed repair). */
    readonly usage?: LlmUsage,
  ) {
    super(message);
    this.name = "LlmError";
  }
}
