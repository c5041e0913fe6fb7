import type { EscalationReason } from "./escalation-reasons";
import { nextStage, type Stage } from "./stages";

/** What a stage's agent concluded. `error` means the agent itself failed, not the change. */
export type StageOutcome =
  | { kind: "pass"; summary: string }
  | { kind: "escalate"; summary: string; reasons: EscalationReason[] }
  | { kind: "fail"; summary: string }
  | { kind: "rollback"; summary: string }
  /** No verdict on the change: what was validated can no longer ship (its base moved and the host
   * brought the branch up to date; the new head runs again). */
  | { kind: "cancel"; summary: string }
  | { kind: "error"; summary: string };

export type StageRunStatus = "passed" | "escalated" | "failed" | "rolled_back" | "cancelled" | "error";

export type Transition =
  | { type: "advance"; stageStatus: "passed"; nextStage: Stage }
  | { type: "complete"; stageStatus: "passed" }
  | { type: "escalate"; stageStatus: "escalated" | "error"; reasons: EscalationReason[] }
  | { type: "fail"; stageStatus: "failed" }
  | { type: "rollback"; stageStatus: "rolled_back" }
  | { type: "cancel"; stageStatus: "cancelled" }
  | { type: "retry"; stageStatus: "error"; nextAttempt: number; delayMs: number };

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, baseDelayMs: 2000, maxDelayMs: 60_000 };

/** Exponential backoff with a cap: base, 2×base, 4×base … never more than maxDelayMs. */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
}

/**
 * The state machine. Nothing advances on an error: an agent error is retried, and after the last
 * attempt it escalates to a person.
 */
export function decideTransition(input: {
  stage: Stage;
  attempt: number;
  outcome: StageOutcome;
  retry: RetryPolicy;
}): Transition {
  const { stage, attempt, outcome, retry } = input;
  switch (outcome.kind) {
    case "pass": {
      const next = nextStage(stage);
      return next ? { type: "advance", stageStatus: "passed", nextStage: next } : { type: "complete", stageStatus: "passed" };
    }
    case "escalate":
      return { type: "escalate", stageStatus: "escalated", reasons: outcome.reasons };
    case "fail":
      return { type: "fail", stageStatus: "failed" };
    case "rollback":
      return { type: "rollback", stageStatus: "rolled_back" };
    case "cancel":
      return { type: "cancel", stageStatus: "cancelled" };
    case "error":
      if (attempt < retry.maxAttempts) {
        return { type: "retry", stageStatus: "error", nextAttempt: attempt + 1, delayMs: retryDelayMs(attempt, retry) };
      }
      return {
        type: "escalate",
        stageStatus: "error",
        reasons: [
          {
            code: "agent_error",
            label: "agent error",
            detail: `The ${stage} agent failed ${attempt} time${attempt === 1 ? "" : "s"}: ${outcome.summary}`,
            value: attempt,
            threshold: retry.maxAttempts,
          },
        ],
      };
  }
}

/** The run status a transition leaves the run in. */
export function runStatusAfter(transition: Transition): "queued" | "done" | "escalated" | "failed" | "rolled_back" | "cancelled" {
  switch (transition.type) {
    case "advance":
    case "retry":
      return "queued";
    case "complete":
      return "done";
    case "escalate":
      return "escalated";
    case "fail":
      return "failed";
    case "rollback":
      return "rolled_back";
    case "cancel":
      return "cancelled";
  }
}
