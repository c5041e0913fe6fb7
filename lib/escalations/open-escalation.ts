import type { AuditEventInput } from "../audit/chain/append-audit-event";
import type { Prisma } from "../db/client";
import { enqueueNotifications, escalationNotificationPayload } from "../notifications/notify";
import type { EscalationReason } from "../pipeline/escalation-reasons";
import { stages, type Stage } from "../pipeline/stages";
import { loadDiffFacts } from "../runs/run-diff";
import { addBusinessHours } from "./business-hours";
import { buildContextPackage, contextPackageHash, suggestDecision } from "./context-package";
import { loadPackageHistory } from "./package-history";

export interface EscalatedRun {
  id: string;
  headSha: string;
  pullRequest: { number: number; title: string; author: string; repositoryId: string; repository: { name: string } };
}

/** The agent's decision as the package shows it: who decided, with what, and why. */
export interface EscalatedDecision {
  agent: string;
  provider: string;
  model: string | null;
  riskScore: number | null;
  rationale: string;
  output: unknown;
}

/**
 * Opens an escalation inside the caller's transaction: assembles the context package (the change,
 * the agent's findings, what was not checked, the history a reviewer needs and a labelled
 * suggestion), stores it with its hash and SLA, and queues the notifications in the same
 * transaction, so an escalation that commits is always announced and one rolled back never is.
 * Returns the audit event for the caller to append with its others (the append lock is taken last).
 */
export async function openEscalation(
  tx: Prisma.TransactionClient,
  input: {
    run: EscalatedRun;
    stage: Stage;
    reasons: EscalationReason[];
    decision: EscalatedDecision | null;
    /** From the stage's own assessment. */
    criticalFindings: number;
    notChecked: string[];
    at: Date;
    slaBusinessHours: number;
  },
): Promise<{ escalationId: string; auditEvent: AuditEventInput }> {
  const { run, stage, reasons, decision } = input;
  // Facts parsed at intake; a package without file stats (a run with no readable diff) is still a package.
  const diff = await loadDiffFacts(tx, run.id);
  const history = await loadPackageHistory(tx, {
    runId: run.id,
    repositoryId: run.pullRequest.repositoryId,
    author: run.pullRequest.author,
    files: diff?.files.map((f) => f.path) ?? [],
  });
  const later = stages.slice(stages.indexOf(stage) + 1);
  const contextPackage = buildContextPackage({
    reasons,
    repository: run.pullRequest.repository.name,
    pullRequest: { number: run.pullRequest.number, title: run.pullRequest.title, author: run.pullRequest.author },
    headSha: run.headSha,
    diff,
    // Picked field by field: a caller's decision record also holds the prompt and the response.
    decision: decision
      ? { stage, agent: decision.agent, provider: decision.provider, model: decision.model, riskScore: decision.riskScore, rationale: decision.rationale, output: decision.output }
      : null,
    notChecked: [...(later.length > 0 ? [`Not run yet: ${later.join(", ")}. The run stopped at ${stage}.`] : []), ...input.notChecked],
    history,
    suggestion: suggestDecision({
      reasons,
      criticalFindings: input.criticalFindings,
      riskScore: decision?.riskScore ?? null,
      authorRollbacks: history.authorRecentRuns.filter((r) => r.status === "rolled_back").length,
    }),
  });
  const escalation = await tx.escalation.create({
    data: {
      runId: run.id,
      stage,
      reasons: reasons.map((r) => r.code),
      reasonLabels: reasons.map((r) => r.label),
      contextPackage: contextPackage as unknown as Prisma.InputJsonValue,
      contextHash: contextPackageHash(contextPackage),
      dueAt: addBusinessHours(input.at, input.slaBusinessHours),
    },
  });
  await enqueueNotifications(tx, {
    event: "escalation.created",
    subjectId: escalation.id,
    payload: escalationNotificationPayload({ escalation, repository: run.pullRequest.repository.name, pullRequest: run.pullRequest }),
  });
  return {
    escalationId: escalation.id,
    auditEvent: {
      actor: { type: "system", id: "engine", label: "pipeline engine" },
      action: "run.escalated",
      subject: { type: "escalation", id: escalation.id },
      runId: run.id,
      repositoryId: run.pullRequest.repositoryId,
      payload: { stage, reasons, contextHash: escalation.contextHash },
    },
  };
}
