import { Prisma } from "../../lib/db/generated/client";
import { newId } from "../../lib/db/new-id";
import type { StageRunStatus } from "../../lib/pipeline/transitions";
import type { AgentDecisionRecord } from "../stage-agent";

/**
 * Writes a stage attempt's end and the agent's decision in ONE statement (a data-modifying CTE),
 * inside the recording transaction that holds the attempt's lock. This is on the hot path of
 * every stage transition, after `finishedAt` is stamped, so it is one round trip instead of two
 * Prisma model calls. The decision's id is made here (newId): Prisma's `@default(cuid())` applies
 * only to its own model calls, and the audit event needs the id.
 *
 * JSON columns get JSON text, which PostgreSQL parses exactly (Prisma's Json serialization rounds
 * numbers to 15 significant digits).
 */
export async function finishStageAttempt(
  tx: Prisma.TransactionClient,
  attempt: {
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
  },
): Promise<{ decisionId: string | null }> {
  const output = attempt.output == null ? null : JSON.stringify(attempt.output);
  const updateAttempt = Prisma.sql`
    UPDATE "StageRun" SET status = ${attempt.status}::"StageStatus", "finishedAt" = ${attempt.finishedAt}, summary = ${attempt.summary},
                          output = COALESCE(${output}::jsonb, output), error = ${attempt.error}
     WHERE id = ${attempt.id}`;
  const { decision } = attempt;
  if (!decision) {
    await tx.$executeRaw(updateAttempt);
    return { decisionId: null };
  }
  const decisionId = newId();
  await tx.$executeRaw`
    WITH finished AS (${updateAttempt})
    INSERT INTO "AgentDecision" (id, "runId", "stageRunId", agent, "agentVersion", provider, model, "inputHash", outcome, "riskScore",
                                 output, rationale, prompt, response, "inputTokens", "outputTokens", "latencyMs", "createdAt")
    VALUES (${decisionId}, ${attempt.runId}, ${attempt.id}, ${decision.agent}, ${decision.agentVersion}, ${decision.provider}, ${decision.model},
            ${decision.inputHash}, ${attempt.outcome}, ${decision.riskScore}, ${JSON.stringify(decision.output)}::jsonb, ${decision.rationale},
            ${decision.prompt}, ${decision.response}, ${decision.inputTokens}, ${decision.outputTokens}, ${decision.latencyMs}, ${attempt.finishedAt})`;
  return { decisionId };
}
