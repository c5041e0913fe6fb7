import { appendAuditEvent, type AuditActor, type AuditEventInput } from "../../lib/audit/chain/append-audit-event";
import { queueStageOutcome } from "../../lib/code-host/publish/queue-outcome";
import type { Db, Prisma } from "../../lib/db/client";
import { withWrites } from "../../lib/db/with-writes";
import { openEscalation, type EscalatedRun } from "../../lib/escalations/open-escalation";
import { enqueueStageJob, type StageJobPayload } from "../../lib/pipeline/stage-job";
import { continueRun, runStateUpdate } from "../../lib/pipeline/continue-run";
import type { PolicyRules } from "../../lib/policy/policy-rules";
import { decideTransition, runStatusAfter, type RetryPolicy, type Transition } from "../../lib/pipeline/transitions";
import { lockRun } from "../../lib/runs/lock-run";
import { finishStageAttemptWrites } from "./finish-stage-attempt";
import { nothingToAssess, type AgentDecisionRecord, type StageAgentResult } from "./stage-agent";

/** Writes return only the id: a stage's output, a decision's prompt and a run's diff can be large. */
const ONLY_ID = { id: true } as const;

const ENGINE: AuditActor = { type: "system", id: "engine", label: "pipeline engine" };

/** An agent that threw: no decision and no assessment, only what went wrong. */
export interface ErroredResult {
  outcome: { kind: "error"; summary: string };
  decision: null;
  stageOutput: unknown;
  assessment?: undefined;
}

export interface RecordInput {
  job: StageJobPayload;
  result: StageAgentResult | ErroredResult;
  policy: PolicyRules;
  retry: RetryPolicy;
}

/**
 * Records a stage's outcome in ONE transaction: the stage attempt's status, the agent's decision,
 * the audit events, the run's new state and the next job (or the escalation). A runner killed
 * at any point leaves the old state or the new one. A second call for the same attempt (a job
 * retried after a crash) finds it recorded and changes nothing.
 *
 * The engine knows no stage by name: what it needs of a result (the run's risk score, critical
 * findings, what was not checked) comes from the stage's own assessment.
 */
export async function recordStageOutcome(db: Db, input: RecordInput): Promise<{ recorded: boolean; transition?: Transition }> {
  const { job, result } = input;
  return db.$transaction(
    async (tx) => {
      const locked = await lockAttempt(tx, job);
      if (!locked) return { recorded: false };
      if (locked.runStatus !== "queued" && locked.runStatus !== "running") {
        // Superseded (or otherwise ended) while the agent worked: its result must not move the run.
        await tx.stageRun.update({
          where: { id: locked.id },
          select: ONLY_ID,
          data: { status: "cancelled", finishedAt: new Date(), summary: `cancelled: the run was ${locked.runStatus.replace("_", " ")} while this stage ran (${result.outcome.summary})`.slice(0, 500) },
        });
        return { recorded: false };
      }
      const { run } = locked;
      const transition = decideTransition({ stage: job.stage, attempt: job.attempt, outcome: result.outcome, retry: input.retry });
      const now = new Date();
      const assessment = result.assessment ?? nothingToAssess;
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
        decision: result.decision,
      });
      // Appended last, in this order, just before the commit: the append lock serializes every
      // recording transaction, so it is taken after the run's other writes and held only for the
      // inserts and the commit.
      const auditEvents: AuditEventInput[] = [attemptAuditEvent(job, run, locked.id, result, finished.decisionId)];

      await moveRun(tx, { job, runId: run.id, transition, at: now, riskScore: assessment.runRiskScore, alsoWrite: finished.writes });
      if (transition.type === "retry") {
        await tx.stageRun.create({ select: ONLY_ID, data: { runId: run.id, stage: job.stage, attempt: transition.nextAttempt } });
        await enqueueStageJob(tx, { runId: run.id, stage: job.stage, attempt: transition.nextAttempt }, { delayMs: transition.delayMs });
        auditEvents.push({
          actor: ENGINE,
          action: "stage.retry_scheduled",
          subject: { type: "run", id: run.id },
          runId: run.id,
          repositoryId: run.pullRequest.repositoryId,
          payload: { stage: job.stage, nextAttempt: transition.nextAttempt, delayMs: transition.delayMs, error: result.outcome.summary },
        });
      }
      let escalationId: string | undefined;
      if (transition.type === "escalate") {
        const opened = await openEscalation(tx, {
          run,
          stage: job.stage,
          reasons: transition.reasons,
          decision: result.decision,
          criticalFindings: assessment.criticalFindings,
          notChecked: assessment.notChecked,
          at: now,
          slaBusinessHours: input.policy.escalation.slaBusinessHours,
        });
        escalationId = opened.escalationId;
        auditEvents.push(opened.auditEvent);
      }
      if (locked.onCodeHost) {
        // What the pull request shows, queued with the outcome it reports (the outbox; lib/code-host).
        await queueStageOutcome(tx, {
          runId: run.id,
          headSha: run.headSha,
          stage: job.stage,
          transition,
          summary: result.outcome.summary,
          notes: assessment.notes ?? [],
          notChecked: assessment.notChecked,
          report: assessment.report,
          escalationId,
          repositorySettings: locked.repositorySettings,
        });
      }
      for (const event of auditEvents) await appendAuditEvent(tx, event);
      return { recorded: true, transition };
    },
    { timeout: 30_000 },
  );
}

/**
 * Locks the run's row (see lockRun for the lock order), then the attempt's, and reads what the
 * audit events and an escalation need of the run: concurrent recorders of the same attempt queue
 * up here. Null when the attempt is unknown or already recorded. The diff (megabytes) is not read.
 */
async function lockAttempt(
  tx: Prisma.TransactionClient,
  job: StageJobPayload,
): Promise<{ id: string; runStatus: string; run: EscalatedRun; onCodeHost: boolean; repositorySettings: unknown } | null> {
  const runState = await lockRun(tx, job.runId);
  const [locked] = await tx.$queryRaw<LockedAttempt[]>`
    SELECT s.id, s.status::text, r."headSha", pr.number, pr.title, pr.author, pr."repositoryId", repo.name AS "repositoryName",
           repo.kind IN ('github', 'gitlab') AS "onCodeHost", repo.settings AS "repositorySettings"
      FROM "StageRun" s
      JOIN "PipelineRun" r ON r.id = s."runId"
      JOIN "PullRequest" pr ON pr.id = r."pullRequestId"
      JOIN "Repository" repo ON repo.id = pr."repositoryId"
     WHERE s."runId" = ${job.runId} AND s.stage = ${job.stage}::"Stage" AND s.attempt = ${job.attempt}
       FOR UPDATE OF s`;
  if (!runState || !locked || (locked.status !== "queued" && locked.status !== "running")) return null;
  return {
    id: locked.id,
    runStatus: runState.status,
    onCodeHost: locked.onCodeHost,
    repositorySettings: locked.repositorySettings,
    run: {
      id: job.runId,
      headSha: locked.headSha,
      pullRequest: { number: locked.number, title: locked.title, author: locked.author, repositoryId: locked.repositoryId, repository: { name: locked.repositoryName } },
    },
  };
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
  onCodeHost: boolean;
  repositorySettings: unknown;
}

/** The audit event of the attempt itself: the agent's decision, or the error that stopped it. */
function attemptAuditEvent(
  job: StageJobPayload,
  run: EscalatedRun,
  stageRunId: string,
  result: StageAgentResult | ErroredResult,
  decisionId: string | null,
): AuditEventInput {
  const decision: AgentDecisionRecord | null = result.decision;
  const subject = { runId: run.id, repositoryId: run.pullRequest.repositoryId };
  const actor: AuditActor = { type: "agent", id: decision?.agent ?? job.stage, label: `${job.stage} agent${decision ? ` (${decision.provider})` : ""}` };
  if (decision && decisionId) {
    return {
      actor,
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
    };
  }
  return {
    actor,
    action: "stage.errored",
    subject: { type: "stage_run", id: stageRunId },
    ...subject,
    payload: { pullRequest: run.pullRequest.number, stage: job.stage, attempt: job.attempt, error: result.outcome.summary },
  };
}

/**
 * The run's new state, in ONE statement with the end of the attempt and its decision (`alsoWrite`),
 * and with the next attempt and its job when the run continues: each round trip here is on the
 * hot path of every stage transition.
 */
async function moveRun(
  tx: Prisma.TransactionClient,
  move: { job: StageJobPayload; runId: string; transition: Transition; at: Date; riskScore?: number; alsoWrite: Prisma.Sql[] },
) {
  const { transition, at, riskScore } = move;
  if (transition.type === "advance" || transition.type === "complete") {
    await continueRun(tx, { runId: move.runId, fromStage: move.job.stage, riskScore, at, alsoWrite: move.alsoWrite });
    return;
  }
  const status = runStatusAfter(transition);
  const ended = status === "failed" || status === "rolled_back" || status === "cancelled";
  await tx.$executeRaw(withWrites(move.alsoWrite, runStateUpdate({ runId: move.runId, status, stage: move.job.stage, at, finished: ended, riskScore })));
}
