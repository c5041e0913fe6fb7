import type { Db } from "../../lib/db/client";
import type { StageJobPayload } from "../../lib/pipeline/stage-job";
import type { Logger } from "../../lib/log";
import { policyRulesSchema, type PolicyRules } from "../../lib/policy/policy-rules";
import { loadDiffText } from "../../lib/runs/run-diff";
import { knownSecretsOf, redactKnownSecrets } from "../../lib/secrets/redact-known-secrets";
import { cleanUntrustedJson, cleanUntrustedText } from "../../lib/text/untrusted-text";
import { activeRunStatuses, isActiveRunStatus, type Stage } from "../../lib/pipeline/stages";
import { defaultRetryPolicy, type RetryPolicy } from "../../lib/pipeline/transitions";
import type { StageAgent, StageContext } from "./stage-agent";
import { recordStageOutcome } from "./record-stage-outcome";
import { isTransientDatabaseError } from "../../lib/db/transient-error";
import { escalateUnrecordableOutcome, UNRECORDABLE_MAX_ATTEMPTS } from "./unrecordable-outcome";

export interface EngineDeps {
  db: Db;
  log: Logger;
  /** Every stage has its agent: a run never waits at a stage nothing would run. */
  agents: Readonly<Record<Stage, StageAgent>>;
  retry?: Partial<RetryPolicy>;
}

/**
 * Runs one stage attempt: skips it if it was already recorded (a retried job after a crash),
 * runs the stage's agent, and records the outcome. An agent that throws is an `error` outcome:
 * retried with backoff, then escalated, never advanced. An outcome the database refuses to store
 * is retried by the queue a bounded number of times (`queueAttempt`), then escalated with the
 * error (unrecordable-outcome.ts); a lost connection is left to the queue's own retries.
 */
export async function runStageJob(deps: EngineDeps, job: StageJobPayload, queueAttempt: { attempt: number } = { attempt: 1 }) {
  const { db } = deps;
  const log = deps.log.child({ runId: job.runId, stage: job.stage, attempt: job.attempt });
  const agent = deps.agents[job.stage];

  // First, one statement marks the run and its attempt as running: this is the start of the stage,
  // so it comes right after the claim, before the run's details are read (atomic without a
  // transaction; this sits on the hot path of every stage transition). The run's row is locked
  // first, as lockRun orders it, and only an active attempt of a still active run starts: an
  // attempt already recorded (a job retried after a crash) or a superseded run returns no row.
  const [started] = await db.$queryRaw<{ id: string }[]>`
    WITH attempt AS (
      SELECT id FROM "StageRun"
       WHERE "runId" = ${job.runId} AND stage = ${job.stage}::"Stage" AND attempt = ${job.attempt} AND status IN ('queued', 'running')
    ), run AS (
      UPDATE "PipelineRun" SET status = 'running', "currentStage" = ${job.stage}::"Stage", "updatedAt" = now()
       WHERE id = ${job.runId} AND status IN ('queued', 'running') AND EXISTS (SELECT 1 FROM attempt) RETURNING id
    )
    UPDATE "StageRun" SET status = 'running', "startedAt" = now()
      FROM run, attempt WHERE "StageRun".id = attempt.id AND "StageRun".status IN ('queued', 'running')
    RETURNING "StageRun".id`;
  if (!started) {
    await explainSkippedJob(deps, log, job);
    return;
  }

  const { context, policy } = await loadStageContext(deps, log, job, started.id);
  const retry: RetryPolicy = { ...defaultRetryPolicy, maxAttempts: policy.retries.maxAttempts, ...deps.retry };
  let result;
  const startedAt = performance.now();
  try {
    result = await agent.run(context);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    log.warn({ err }, "stage agent failed");
    result = { outcome: { kind: "error" as const, summary: message.slice(0, 500) }, decision: null, stageOutput: { error: message.slice(0, 2000) } };
  }
  let recorded;
  try {
    recorded = await recordStageOutcome(db, { job, result: storableResult(result), policy, retry });
  } catch (err) {
    if (isTransientDatabaseError(err) || queueAttempt.attempt < UNRECORDABLE_MAX_ATTEMPTS) throw err;
    log.error({ err, queueAttempt: queueAttempt.attempt }, "the stage's outcome cannot be recorded; escalating the run with the error");
    recorded = await escalateUnrecordableOutcome(db, { job, error: err, queueAttempts: queueAttempt.attempt, policy, retry });
  }
  log.info({ outcome: result.outcome.kind, transition: recorded.transition?.type, ms: Math.round(performance.now() - startedAt) }, "stage attempt finished");
}

/** What an agent is given: the run with its pull request, repository and policy. */
async function loadStageContext(deps: EngineDeps, log: Logger, job: StageJobPayload, stageRunId: string): Promise<{ context: StageContext; policy: PolicyRules }> {
  const run = await deps.db.pipelineRun.findUniqueOrThrow({
    where: { id: job.runId },
    include: { policy: true, pullRequest: { include: { repository: true } } },
  });
  const policy = policyRulesSchema.parse(run.policy.rules);
  return { policy, context: { db: deps.db, log, policy, attempt: job.attempt, stageRunId, run: { ...run, diffText: diffTextOf(deps.db, job.runId) } } };
}

/** Reads the run's diff once, when a stage first asks; a run without one is an agent error. */
function diffTextOf(db: Db, runId: string): () => Promise<string> {
  let text: Promise<string> | undefined;
  return () =>
    (text ??= loadDiffText(db, runId).then((found) => {
      if (found === null) throw new Error(`run ${runId} has no stored diff`);
      return found;
    }));
}

/**
 * A stage's result carries bytes that pull-request code wrote (test output, report contents, file
 * names). Before it is stored: every string made storable (no NUL, no lone surrogates, terminal
 * escapes removed), and every exact occurrence of this process's own secrets redacted.
 */
function storableResult<T>(result: T): T {
  // process.env, not env(): every secret-named variable of this process, not only the schema's.
  const secrets = knownSecretsOf(process.env);
  return cleanUntrustedJson(result, (text) => redactKnownSecrets(cleanUntrustedText(text), secrets));
}

/**
 * Says in the log why a stage job did not start; off the hot path, so it may read again. An
 * attempt left queued or running on a run that has ended (superseded or closed while its runner
 * was killed mid-stage: "a running one is cancelled when it reports", and a dead runner never
 * reports) is cancelled here, by its retried job; otherwise it stayed "running" for good and the
 * workspace sweep kept its workspace forever. Then the stage's agent undoes what the attempt left
 * behind (a canary left live at its weight); also when ending the run already cancelled the attempt
 * (a queued retry of an attempt that failed mid-canary). Both found by the chaos soak (issue #19).
 */
async function explainSkippedJob(deps: EngineDeps, log: Logger, job: StageJobPayload) {
  const { db } = deps;
  const stageRun = await db.stageRun.findUnique({
    where: { runId_stage_attempt: { runId: job.runId, stage: job.stage, attempt: job.attempt } },
    select: { id: true, status: true, run: { select: { status: true } } },
  });
  if (!stageRun) return void log.warn("stage job for an unknown stage attempt; ignoring");
  const runStatus = stageRun.run.status;
  const runEnded = !isActiveRunStatus(runStatus);
  if (stageRun.status !== "queued" && stageRun.status !== "running") log.info({ status: stageRun.status }, "stage attempt already recorded; not running it again");
  else if (runEnded) {
    // Only while the run has ended and the attempt is still open: a recorder that got there first wins.
    await db.stageRun.updateMany({
      where: { id: stageRun.id, status: { in: ["queued", "running"] }, run: { status: { notIn: [...activeRunStatuses] } } },
      data: { status: "cancelled", finishedAt: new Date(), summary: `cancelled: the run was ${runStatus.replace("_", " ")} while this stage's runner was stopped` },
    });
    log.info({ runStatus }, "run is no longer active; stage attempt cancelled");
  }
  const agent = deps.agents[job.stage];
  if (runEnded && agent.abandon) {
    const { context } = await loadStageContext(deps, log, job, stageRun.id);
    await agent.abandon(context, `the run was ${runStatus.replace("_", " ")} while this stage's runner was stopped`);
  }
}
