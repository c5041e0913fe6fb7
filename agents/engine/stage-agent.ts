import { createHash } from "node:crypto";
import type { Db } from "../../lib/db/client";
import type { Logger } from "../../lib/log";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import type { StageNote } from "../../lib/pipeline/stage-note";
import type { Stage } from "../../lib/pipeline/stages";
import type { StageOutcome } from "../../lib/pipeline/transitions";

/** What an agent sees of the run it works on. */
export interface StageContext {
  db: Db;
  log: Logger;
  policy: PolicyRules;
  attempt: number;
  /** The StageRun of this attempt: what a stage's own records (a deployment) hang on. */
  stageRunId: string;
  run: {
    id: string;
    baseSha: string;
    headSha: string;
    /** Deploys its pull request's merge commit (gate-only repositories), after the pull request's own run. */
    afterMerge: boolean;
    /** The diff's text, read on first call (megabytes at most; the stages that read lines call it). */
    diffText: () => Promise<string>;
    pullRequest: { number: number; title: string; description: string; author: string; repository: { id: string; name: string; kind: string; location: string; hostInstallationId: string | null; settings: unknown } };
  };
}

/** The record of how an agent decided, stored as an AgentDecision and in the audit log. */
export interface AgentDecisionRecord {
  agent: string;
  agentVersion: string;
  provider: string;
  model: string | null;
  inputHash: string;
  riskScore: number | null;
  output: unknown;
  rationale: string;
  requiresHuman: boolean;
  prompt: string | null;
  response: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number | null;
}

/**
 * The decision of an agent that decided by measuring and rules, without a model call of its own
 * (staging, validation, the canary): no token counts or latency, and a person is needed exactly
 * when the outcome escalates. `inputParts` are hashed into the input hash, so the same inputs
 * give the same hash. A deployment's incident report may carry the LLM's prompt and response.
 */
export function measuredDecision(fields: {
  agent: string;
  agentVersion: string;
  provider: string;
  model?: string | null;
  inputParts: (string | number)[];
  outcome: StageOutcome;
  output: unknown;
  rationale: string;
  prompt?: string | null;
  response?: string | null;
}): AgentDecisionRecord {
  return {
    agent: fields.agent,
    agentVersion: fields.agentVersion,
    provider: fields.provider,
    model: fields.model ?? null,
    inputHash: createHash("sha256").update([fields.agentVersion, ...fields.inputParts].join("\n")).digest("hex"),
    riskScore: null,
    output: fields.output,
    rationale: fields.rationale,
    requiresHuman: fields.outcome.kind === "escalate",
    prompt: fields.prompt ?? null,
    response: fields.response ?? null,
    inputTokens: null,
    outputTokens: null,
    latencyMs: null,
  };
}

/**
 * What a stage says about its own result, in the terms the engine and the escalation package
 * need, so that neither reads a stage's output: the engine never names a stage or casts its JSON.
 */
export interface StageAssessment {
  /** The run's risk score, for a stage that sets it (the review does). */
  runRiskScore?: number;
  /** Findings severe enough that the escalation package suggests changes before shipping. */
  criticalFindings: number;
  /** What this stage did not check, stated to the reviewer rather than hidden. */
  notChecked: string[];
  /** File and line notes (findings, uncovered changed lines), for the code host's annotations. */
  notes?: StageNote[];
  /** A longer account for the pull request's comment: the incident report of a rollback. Plain text. */
  report?: { title: string; sections: { heading: string; text: string }[] };
}

export type { StageNote };

export const nothingToAssess: StageAssessment = { criticalFindings: 0, notChecked: [] };

export interface StageAgentResult {
  outcome: StageOutcome;
  decision: AgentDecisionRecord;
  /** Stored on the StageRun for the run page. */
  stageOutput: unknown;
  /** Absent for a stage with nothing to add (no risk score, nothing left unchecked). */
  assessment?: StageAssessment;
}

export interface StageAgent {
  stage: Stage;
  run(context: StageContext): Promise<StageAgentResult>;
  /**
   * The run ended (superseded by a new head, closed) while no runner was running this stage's
   * attempt: a runner killed mid-stage never reports, so whatever its attempt left in the world
   * (a live canary) is undone here, by the attempt's retried job. Idempotent: it may be called
   * again after a crash, and for a run that left nothing behind.
   */
  abandon?(context: StageContext, reason: string): Promise<void>;
}
