import type { Db } from "../../lib/db/client";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { StageJobPayload } from "../../lib/pipeline/stage-job";
import type { RetryPolicy } from "../../lib/pipeline/transitions";
import { sqlStateOf } from "../../lib/db/transient-error";
import { recordStageOutcome } from "./record-stage-outcome";

/**
 * Queue attempts of one stage job whose outcome the database refuses before the run is escalated
 * with the error. A refusal (a value out of range, a constraint) is usually the same every time,
 * but an agent's output can differ between attempts, so it gets a few; graphile-worker's backoff
 * (e^attempt seconds) makes three attempts about ten seconds. Without this bound the queue retried
 * the job for hours (10 attempts, up to e^9 s apart) while the run showed "running".
 */
export const UNRECORDABLE_MAX_ATTEMPTS = 3;

/**
 * What is known to be storable of an error: printable ASCII only (a refused value is often quoted
 * in the message, and it may be the very bytes that were refused), at most 400 characters.
 */
export function storableErrorText(error: unknown): string {
  const message = String((error as { message?: unknown })?.message ?? error);
  const state = sqlStateOf(error);
  const flat = message.replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim();
  return `${state ? `[${state}] ` : ""}${flat}`.slice(0, 400);
}

/**
 * The poison-pill path: a stage attempt whose outcome the database refused on every one of its
 * queue attempts is recorded as an agent error that escalates now (no further engine retry),
 * carrying nothing of the agent's result (no decision, output or assessment) but the database's
 * error as printable text. It goes through the same recording transaction as every outcome, so
 * the attempt, its audit event, the run and the escalation still commit together.
 */
export async function escalateUnrecordableOutcome(
  db: Db,
  input: { job: StageJobPayload; error: unknown; queueAttempts: number; policy: PolicyRules; retry: RetryPolicy },
) {
  const summary = `the stage's outcome could not be recorded (${input.queueAttempts} attempts; the database refused it): ${storableErrorText(input.error)}`;
  return recordStageOutcome(db, {
    job: input.job,
    result: { outcome: { kind: "error", summary: summary.slice(0, 500) }, decision: null, stageOutput: null },
    policy: input.policy,
    // This attempt is the last: an error escalates instead of scheduling another attempt.
    retry: { ...input.retry, maxAttempts: input.job.attempt },
  });
}
