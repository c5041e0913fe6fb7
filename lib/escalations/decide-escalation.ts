import { z } from "zod";
import { appendAuditEvent } from "../audit/chain/append-audit-event";
import { actorCan, auditActor, type Actor } from "../auth/actor";
import { isCodeHostKind } from "../code-host/code-host";
import { queueDecision } from "../code-host/publish/queue-outcome";
import type { Db } from "../db/client";
import { DomainError } from "../errors";
import { continueRun } from "../pipeline/continue-run";
import type { Stage } from "../pipeline/stages";
import { isPullRequestAuthor, requiredApprovalsFor } from "../policy/approval-rules";
import { policyRulesSchema } from "../policy/policy-rules";
import { lockRun } from "../runs/lock-run";

export const escalationDecisionSchema = z.object({
  decision: z.enum(["approve", "reject", "request_changes"]),
  rationale: z
    .string()
    .trim()
    .min(20, "explain the decision in at least a sentence (20 characters or more)")
    .refine((text) => /\s/.test(text), "explain the decision in at least a sentence"),
});
export type EscalationDecisionInput = z.infer<typeof escalationDecisionSchema>;

export interface DecideResult {
  escalationId: string;
  status: "open" | "approved" | "rejected" | "changes_requested";
  approvals: number;
  requiredApprovals: number;
  run: { id: string; status: string; currentStage: string | null };
}


/**
 * A person's decision on an escalation, in one transaction with its audit event. The escalation
 * row is locked (after its run's), so of two reviewers deciding at once exactly one wins and the other gets
 * a 409 naming who decided. Approving continues the run from the stage that escalated; rejecting
 * or requesting changes ends it.
 */
export async function decideEscalation(db: Db, options: { escalationId: string; input: EscalationDecisionInput; actor: Actor }): Promise<DecideResult> {
  const { actor } = options;
  const input = escalationDecisionSchema.parse(options.input);
  if (!actorCan(actor, "escalations:decide")) throw new DomainError("forbidden", "This needs the escalations:decide permission");

  return db.$transaction(
    async (tx) => {
      const target = await tx.escalation.findUnique({ where: { id: options.escalationId }, select: { runId: true } });
      if (!target) throw new DomainError("not_found", `No escalation ${options.escalationId}`);
      // The run's row, then the escalation's: the order every run-changing transaction uses.
      await lockRun(tx, target.runId);
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "Escalation" WHERE id = ${options.escalationId} FOR UPDATE`;
      const escalation = await tx.escalation.findUniqueOrThrow({
        where: { id: locked.id },
        include: {
          // Only what the decision needs: the run row also holds the diff (up to 5 MB).
          run: {
            select: {
              id: true,
              status: true,
              currentStage: true,
              headSha: true,
              pullRequest: { select: { author: true, repositoryId: true, repository: { select: { kind: true } } } },
              policy: { select: { rules: true } },
            },
          },
          decisions: { include: { user: { select: { email: true } } }, orderBy: { createdAt: "asc" } },
        },
      });
      if (escalation.status !== "open") {
        const last = escalation.decisions.at(-1);
        const by = last ? `${last.user.email} at ${last.createdAt.toISOString()}` : `the system at ${escalation.decidedAt?.toISOString() ?? "an earlier time"}`;
        throw new DomainError("conflict", `This escalation was already decided (${escalation.status.replace("_", " ")}) by ${by}`);
      }
      // Segregation of duties: a token acts for its owner, so this covers tokens too.
      if (isPullRequestAuthor(actor.user.email, escalation.run.pullRequest.author)) {
        throw new DomainError("forbidden", "You are the author of this pull request; another reviewer must decide its escalation");
      }
      if (escalation.decisions.some((d) => d.userId === actor.user.id)) {
        throw new DomainError("conflict", "You have already approved this escalation; its policy needs a second, different reviewer");
      }

      const policy = policyRulesSchema.parse(escalation.run.policy.rules);
      const requiredApprovals = requiredApprovalsFor(escalation.reasons, policy.escalation.twoApprovalReasons);
      await tx.escalationDecision.create({
        data: { escalationId: escalation.id, userId: actor.user.id, decision: input.decision, rationale: input.rationale, contextHash: escalation.contextHash },
      });
      const approvals = escalation.decisions.filter((d) => d.decision === "approve").length + (input.decision === "approve" ? 1 : 0);

      const audit = (action: string, extra: Record<string, unknown>) =>
        appendAuditEvent(tx, {
          actor: auditActor(actor),
          action,
          subject: { type: "escalation", id: escalation.id },
          runId: escalation.runId,
          repositoryId: escalation.run.pullRequest.repositoryId,
          payload: {
            decision: input.decision,
            rationale: input.rationale,
            decidedBy: actor.user.email,
            via: actor.via,
            contextHash: escalation.contextHash,
            pullRequestAuthor: escalation.run.pullRequest.author,
            approvals,
            requiredApprovals,
            ...extra,
          },
        });

      if (input.decision === "approve" && approvals < requiredApprovals) {
        await audit("escalation.approval_recorded", { waitingFor: requiredApprovals - approvals });
        const { id, status, currentStage } = escalation.run;
        return { escalationId: escalation.id, status: "open", approvals, requiredApprovals, run: { id, status, currentStage } };
      }

      const status = input.decision === "approve" ? "approved" : input.decision === "reject" ? "rejected" : "changes_requested";
      await tx.escalation.update({ where: { id: escalation.id }, data: { status, decidedAt: new Date() } });
      if (input.decision === "approve") {
        await continueRun(tx, { runId: escalation.runId, fromStage: escalation.stage as Stage });
      } else {
        const runStatus = input.decision === "reject" ? "rejected" : "changes_requested";
        await tx.pipelineRun.update({ where: { id: escalation.runId }, select: { id: true }, data: { status: runStatus, finishedAt: new Date() } });
      }
      const run = await tx.pipelineRun.findUniqueOrThrow({ where: { id: escalation.runId }, select: { id: true, status: true, currentStage: true } });
      const event = await audit("escalation.decided", { runStatus: run.status });
      if (isCodeHostKind(escalation.run.pullRequest.repository.kind)) {
        // The pull request's checks and comment follow the decision, on the commit it was made on (the outbox).
        await queueDecision(tx, {
          runId: escalation.runId,
          headSha: escalation.run.headSha,
          stage: escalation.stage as Stage,
          escalationId: escalation.id,
          decision: input.decision,
          decidedBy: actor.user.email,
          at: event.occurredAt,
          auditHash: event.hash,
          rationale: input.rationale,
        });
      }
      return { escalationId: escalation.id, status, approvals, requiredApprovals, run };
    },
    { timeout: 30_000 },
  );
}
