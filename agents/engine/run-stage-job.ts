import type { Db } from "../../lib/db/client";
import type { StageJobPayload } from "../../lib/jobs/stage-job";
import type { Logger } from "../../lib/log";
import { policyRulesSchema } from "../../lib/pipeline/policy-rules";
import type { Stage } from "../../lib/pipeline/stages";
import { defaultRetryPolicy, type RetryPolicy } from "../../lib/pipeline/transitions";
import type { StageAgent } from "../stage-agent";
import { recordStageOutcome } from "./record-stage-outcome";

export interface EngineDeps {
  db: Db;
  log: Logger;
  agents: Partial<Record<Stage, StageAgent>>;
  retry?: Partial<RetryPolicy>;
}

/**
 * Runs one stage attempt: skips it if it was already recorded (a retried job after a crash),
 * runs the stage's agent, and records the outcome. An agent that throws is an `error` outcome:
 * retried with backoff, then escalated, never advanced.
 */
export async function runStageJob(deps: EngineDeps, job: StageJobPayload) {
  const { db } = deps;
  const log = deps.log.child({ runId: job.runId, stage: job.stage, attempt: job.attempt });
  const stageRun = await db.stageRun.findUnique({
    where: { runId_stage_attempt: { runId: job.runId, stage: job.stage, attempt: job.attempt } },
    include: { run: { include: { policy: true, pullRequest: { include: { repository: true } } } } },
  });
  if (!stageRun) {
    log.warn("stage job for an unknown stage attempt; ignoring");
    return;
  }
  if (stageRun.status !== "queued" && stageRun.status !== "running") {
    log.info({ status: stageRun.status }, "stage attempt already recorded; not running it again");
    return;
  }
  const { run } = stageRun;
  if (run.status !== "queued" && run.status !== "running") {
    log.info({ runStatus: run.status }, "run is no longer active; stage attempt skipped");
    return;
  }
  const agent = deps.agents[job.stage];
  if (!agent) {
    log.warn("no agent configured for this stage");
    return;
  }

  // One statement marks the run and its attempt as running (atomic without a transaction; this
  // sits on the hot path of every stage transition). The run's row is locked first, as lockRun
  // orders it, and only a run that is still active starts: a superseded one returns no row.
  const started = await db.$queryRaw<{ id: string }[]>`
    WITH run AS (
      UPDATE "PipelineRun" SET status = 'running', "currentStage" = ${job.stage}::"Stage", "updatedAt" = now()
       WHERE id = ${run.id} AND status IN ('queued', 'running') RETURNING id
    )
    UPDATE "StageRun" SET status = 'running', "startedAt" = now()
      FROM run WHERE "StageRun".id = ${stageRun.id} AND "StageRun"."runId" = run.id AND "StageRun".status IN ('queued', 'running')
    RETURNING "StageRun".id`;
  if (started.length === 0) {
    log.info("run or attempt changed before it started; stage attempt skipped");
    return;
  }

  const policy = policyRulesSchema.parse(run.policy.rules);
  const retry: RetryPolicy = { ...defaultRetryPolicy, maxAttempts: policy.retries.maxAttempts, ...deps.retry };
  let result;
  const startedAt = performance.now();
  try {
    result = await agent.run({ db, log, policy, attempt: job.attempt, stageRunId: stageRun.id, run });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    log.warn({ err }, "stage agent failed");
    result = { outcome: { kind: "error" as const, summary: message.slice(0, 500) }, decision: null, stageOutput: { error: message.slice(0, 2000) } };
  }
  const recorded = await recordStageOutcome(db, {
    job,
    result,
    policy,
    retry,
    isConfigured: (stage) => Boolean(deps.agents[stage]),
  });
  log.info({ outcome: result.outcome.kind, transition: recorded.transition?.type, ms: Math.round(performance.now() - startedAt) }, "stage attempt finished");
}
