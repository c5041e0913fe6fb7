import { appendAuditEvent, type AuditActor, type AuditEventInput } from "../../lib/audit/chain/append-audit-event";
import type { Db, Prisma } from "../../lib/db/client";
import { withWrites } from "../../lib/db/with-writes";
import { parseUnifiedDiff } from "../../lib/diff/unified-diff";
import { addBusinessHours } from "../../lib/escalations/business-hours";
import { buildContextPackage, contextPackageHash, suggestDecision } from "../../lib/escalations/context-package";
import { loadPackageHistory } from "../../lib/escalations/package-history";
import type { ReviewOutput } from "../../lib/review/review-output";
import { enqueueStageJob, type StageJobPayload } from "../../lib/jobs/stage-job";
import { enqueueNotifications, escalationNotificationPayload } from "../../lib/notifications/notify";
import { continueRun, runStateUpdate } from "../../lib/pipeline/continue-run";
import { lockRun } from "../../lib/runs/lock-run";
import type { PolicyRules } from "../../lib/pipeline/policy-rules";
import { stages, type Stage } from "../../lib/pipeline/stages";
import { decideTransition, runStatusAfter, type RetryPolicy, type Transition } from "../../lib/pipeline/transitions";
import type { StageAgentResult } from "../stage-agent";
import { finishStageAttemptWrites } from "./finish-stage-attempt";

/** Writes return only the id: a stage's output, a decision's prompt and a run's diff can be large. */
const ONLY_ID = { id: true } as const;

export interface RecordInput {
  job: StageJobPayload;
  result: StageAgentResult | { outcome: { kind: "error"; summary: string }; decision: null; stageOutput: unknown };
  policy: PolicyRules;
  retry: RetryPolicy;
  isConfigured: (stage: Stage) => boolean;
}

/**
 * Records a stage's outcome in ONE transaction: the stage attempt's status, the agent's decision,
 * the audit events, the run's new state and the next job (or the escalation). A runner killed
 * at any point leaves the old state or the new one. A second call for the same attempt (a job
 * retried after a crash) finds it recorded and changes nothing.
 */
export async function recordStageOutcome(db: Db, input: RecordInput): Promise<{ recorded: boolean; transition?: Transition }> {
  const { job, result } = input;
  return db.$transaction(
    async (tx) => {
      // The run's row first (see lockRun for the lock order), then the attempt's row:
      // concurrent recorders of the same attempt queue up here.
      const runState = await lockRun(tx, job.runId);
      // The attempt's row, locked, with what the audit events and an escalation need of its run.
      // The diff can be megabytes; only an escalation's package needs it, so it is read there.
      const [locked] = await tx.$queryRaw<LockedAttempt[]>`
        SELECT s.id, s.status::text, r."headSha", pr.number, pr.title, pr.author, pr."repositoryId", repo.name AS "repositoryName"
          FROM "StageRun" s
          JOIN "PipelineRun" r ON r.id = s."runId"
          JOIN "PullRequest" pr ON pr.id = r."pullRequestId"
          JOIN "Repository" repo ON repo.id = pr."repositoryId"
         WHERE s."runId" = ${job.runId} AND s.stage = ${job.stage}::"Stage" AND s.attempt = ${job.attempt}
           FOR UPDATE OF s`;
      if (!runState || !locked || (locked.status !== "queued" && locked.status !== "running")) return { recorded: false };
      if (runState.status !== "queued" && runState.status !== "running") {
        // Superseded (or otherwise ended) while the agent worked: its result must not move the run.
        await tx.stageRun.update({
          where: { id: locked.id },
          select: ONLY_ID,
          data: { status: "cancelled", finishedAt: new Date(), summary: `cancelled: the run was ${runState.status.replace("_", " ")} while this stage ran (${result.outcome.summary})`.slice(0, 500) },
        });
        return { recorded: false };
      }
      const run = {
        id: job.runId,
        headSha: locked.headSha,
        pullRequest: { number: locked.number, title: locked.title, author: locked.author, repositoryId: locked.repositoryId, repository: { name: locked.repositoryName } },
      };

      const transition = decideTransition({ stage: job.stage, attempt: job.attempt, outcome: result.outcome, retry: input.retry, isConfigured: input.isConfigured });
      const now = new Date();
      const decision = result.decision;
      // Not sent yet: these writes go in the same statement as the run's new state, below.
      const finished = finishStageAttemptWrites({
        id: locked.id,
        runId: run.id,
        status: transition.stageStatus,
        finishedAt: now,
        summary: result.outcome.summary,
        output: result.stageOutput,
        error: result.outcome.kind === "error" ? result.outcome.summary : null,
        outcome: result.outcome.kind,
        decision,
      });

      // Appended last, in this order, just before the commit: the append lock serializes every
      // recording transaction, so it is taken after the run's other writes and held only for the
      // inserts and the commit.
      const auditEvents: AuditEventInput[] = [];
      const subject = { runId: run.id, repositoryId: run.pullRequest.repositoryId };
      const agentActor: AuditActor = { type: "agent", id: decision?.agent ?? job.stage, label: `${job.stage} agent${decision ? ` (${decision.provider})` : ""}` };
      const { decisionId } = finished;
      if (decision && decisionId) {
        auditEvents.push({
          actor: agentActor,
          action: "stage.decided",
          subject: { type: "agent_decision", id: decisionId },
          ...subject,
          payload: {
            pullRequest: run.pullRequest.number,
            stage: job.stage,
            attempt: job.attempt,
            agentVersion: decision.agentVersion,
            provider: decision.provider,
            model: decision.model,
            inputHash: decision.inputHash,
            riskScore: decision.riskScore,
            requiresHuman: decision.requiresHuman,
            outcome: result.outcome.kind,
            summary: result.outcome.summary,
            rationale: decision.rationale,
          },
        });
      } else {
        auditEvents.push({
          actor: agentActor,
          action: "stage.errored",
          subject: { type: "stage_run", id: locked.id },
          ...subject,
          payload: { pullRequest: run.pullRequest.number, stage: job.stage, attempt: job.attempt, error: result.outcome.summary },
        });
      }

      const riskScore = decision?.riskScore != null && job.stage === "review" ? decision.riskScore : undefined;
      const continues = transition.type === "advance" || transition.type === "wait_not_configured" || transition.type === "complete";
      // One statement after the stamp: the attempt's end, its decision and the run's new state (with
      // the next attempt and its job when the run continues). Each round trip here is on the hot path.
      if (continues) {
        await continueRun(tx, { runId: run.id, fromStage: job.stage, isConfigured: input.isConfigured, riskScore, at: now, alsoWrite: finished.writes });
      } else {
        const runStatus = runStatusAfter(transition);
        const ended = runStatus === "failed" || runStatus === "rolled_back";
        await tx.$executeRaw(withWrites(finished.writes, runStateUpdate({ runId: run.id, status: runStatus, stage: job.stage, at: now, finished: ended, riskScore })));
      }

      switch (transition.type) {
        case "retry":
          await tx.stageRun.create({ select: ONLY_ID, data: { runId: run.id, stage: job.stage, attempt: transition.nextAttempt } });
          await enqueueStageJob(tx, { runId: run.id, stage: job.stage, attempt: transition.nextAttempt }, { delayMs: transition.delayMs });
          auditEvents.push({
            actor: { type: "system", id: "engine", label: "pipeline engine" },
            action: "stage.retry_scheduled",
            subject: { type: "run", id: run.id },
            ...subject,
            payload: { stage: job.stage, nextAttempt: transition.nextAttempt, delayMs: transition.delayMs, error: result.outcome.summary },
          });
          break;
        case "escalate": {
          let diff = null;
          try {
            const { diff: text } = await tx.pipelineRun.findUniqueOrThrow({ where: { id: run.id }, select: { diff: true } });
            diff = parseUnifiedDiff(text);
          } catch {
            // Intake validated the diff; a package without file stats is still a package.
          }
          const history = await loadPackageHistory(tx, {
            runId: run.id,
            repositoryId: run.pullRequest.repositoryId,
            author: run.pullRequest.author,
            files: diff?.files.map((f) => f.path) ?? [],
          });
          const review = (decision?.output as { review?: ReviewOutput } | undefined)?.review;
          const criticalFindings = review
            ? [...review.security_issues, ...review.api_breaking_changes, ...review.performance_concerns].filter((f) => f.severity === "critical").length
            : 0;
          const contextPackage = buildContextPackage({
            reasons: transition.reasons,
            repository: run.pullRequest.repository.name,
            pullRequest: { number: run.pullRequest.number, title: run.pullRequest.title, author: run.pullRequest.author },
            headSha: run.headSha,
            diff,
            decision: decision
              ? { stage: job.stage, agent: decision.agent, provider: decision.provider, model: decision.model, riskScore: decision.riskScore, rationale: decision.rationale, output: decision.output }
              : null,
            notChecked: notCheckedItems(job.stage, result.stageOutput, decision?.provider),
            history,
            suggestion: suggestDecision({
              reasons: transition.reasons,
              criticalFindings,
              riskScore: decision?.riskScore ?? null,
              authorRollbacks: history.authorRecentRuns.filter((r) => r.status === "rolled_back").length,
            }),
          });
          const escalation = await tx.escalation.create({
            data: {
              runId: run.id,
              stage: job.stage,
              reasons: transition.reasons.map((r) => r.code),
              reasonLabels: transition.reasons.map((r) => r.label),
              contextPackage: contextPackage as unknown as Prisma.InputJsonValue,
              contextHash: contextPackageHash(contextPackage),
              dueAt: addBusinessHours(now, input.policy.escalation.slaBusinessHours),
            },
          });
          auditEvents.push({
            actor: { type: "system", id: "engine", label: "pipeline engine" },
            action: "run.escalated",
            subject: { type: "escalation", id: escalation.id },
            ...subject,
            payload: { stage: job.stage, reasons: transition.reasons, contextHash: escalation.contextHash },
          });
          // In this transaction: an escalation that commits is always announced, and one rolled back never is.
          await enqueueNotifications(tx, {
            event: "escalation.created",
            subjectId: escalation.id,
            payload: escalationNotificationPayload({ escalation, repository: run.pullRequest.repository.name, pullRequest: run.pullRequest }),
          });
          break;
        }
        default:
          break;
      }
      for (const event of auditEvents) await appendAuditEvent(tx, event);
      return { recorded: true, transition };
    },
    { timeout: 30_000 },
  );
}

interface LockedAttempt {
  id: string;
  status: string;
  headSha: string;
  number: number;
  title: string;
  author: string;
  repositoryId: string;
  repositoryName: string;
}

/** What the agents did not check, stated rather than hidden. */
function notCheckedItems(stage: Stage, stageOutput: unknown, provider: string | undefined): string[] {
  const items: string[] = [];
  const later = stages.slice(stages.indexOf(stage) + 1);
  if (later.length > 0) items.push(`Not run yet: ${later.join(", ")}. The run stopped at ${stage}.`);
  const rules = (stageOutput as { rules?: { unreviewedFiles?: { file: string; reason: string }[]; notChecked?: string[] } } | null)?.rules;
  for (const f of rules?.unreviewedFiles ?? []) items.push(`${f.file}: not reviewed (${f.reason})`);
  items.push(...(rules?.notChecked ?? []));
  if (provider === "heuristic") items.push("No LLM is configured: the review is the rule-based heuristic only.");
  return items;
}
