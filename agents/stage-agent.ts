import type { Db } from "../lib/db/client";
import type { Logger } from "../lib/log";
import type { PolicyRules } from "../lib/pipeline/policy-rules";
import type { Stage } from "../lib/pipeline/stages";
import type { StageOutcome } from "../lib/pipeline/transitions";

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
    diff: string;
    pullRequest: { number: number; title: string; description: string; author: string; repository: { id: string; name: string; kind: string; location: string; settings: unknown } };
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

export interface StageAgentResult {
  outcome: StageOutcome;
  decision: AgentDecisionRecord;
  /** Stored on the StageRun for the run page. */
  stageOutput: unknown;
}

export interface StageAgent {
  stage: Stage;
  run(context: StageContext): Promise<StageAgentResult>;
}
