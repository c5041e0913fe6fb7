import { Prisma } from "../../lib/db/generated/client";
import { newId } from "../../lib/db/new-id";
import type { StageRunStatus } from "../../lib/pipeline/transitions";
import type { AgentDecisionRecord } from "./stage-agent";

/**
 * The writes that end a stage attempt: its final state and the agent's decision. Returned as SQL
 * for the recorder to send in the same statement as the run's next step (continueRun's `alsoWrite`):
 * this is on the hot path of every stage transition, after `finishedAt` is stamped, so it costs no
 * round trip of its own. The decision's id is made here (newId): Prisma's `@default(cuid())`
 * applies only to its own model calls, and the audit event needs the id.
 *
 * JSON columns get JSON text, which PostgreSQL parses exactly (Prisma's Json serialization rounds
 * numbers to 15 significant digits).
 */
export function finishStageAttemptWrites(attempt: {
  id: string;
  runId: string;
  status: StageRunStatus;
  finishedAt: Date;
  summary: string;
  /** Left as it is when absent. */
  output: unknown;
  error: string | null;
  outcome: string;
  decision: AgentDecisionRecord | null;
}): { writes: Prisma.Sql[]; decisionId: string | null } {
  const output = attempt.output == null ? null : JSON.stringify(attempt.output);
  const writes = [
    Prisma.sql`
      UPDATE "StageRun" SET status = ${attempt.status}::"StageStatus", "finishedAt" = ${attempt.finishedAt}, summary = ${attempt.summary},
                            output = COALESCE(${output}::jsonb, output), error = ${attempt.error}
       WHERE id = ${attempt.id}`,
  ];
  const { decision } = attempt;
  if (!decision) return { writes, decisionId: null };
  const decisionId = newId();
  writes.push(Prisma.sql`
    INSERT INTO "AgentDecision" (id, "runId", "stageRunId", agent, "agentVersion", provider, model, "inputHash", outcome, "riskScore",
                                 output, rationale, prompt, response, "inputTokens", "outputTokens", "latencyMs", "createdAt")
    VALUES (${decisionId}, ${attempt.runId}, ${attempt.id}, ${decision.agent}, ${decision.agentVersion}, ${decision.provider}, ${decision.model},
            ${decision.inputHash}, ${attempt.outcome}, ${decision.riskScore}, ${JSON.stringify(decision.output)}::jsonb, ${decision.rationale},
            ${decision.prompt}, ${decision.response}, ${decision.inputTokens}, ${decision.outputTokens}, ${decision.latencyMs}, ${attempt.finishedAt})`);
  return { writes, decisionId };
}
