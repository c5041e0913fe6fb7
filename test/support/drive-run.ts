import { createDeploymentAgent } from "../../agents/deployment/deployment-agent";
import { runStageJob } from "../../agents/engine/run-stage-job";
import { measuredDecision, type StageAgent } from "../../agents/engine/stage-agent";
import { createReviewAgent } from "../../agents/review/review-agent";
import { createStagingAgent } from "../../agents/staging/staging-agent";
import { createValidationAgent } from "../../agents/validation/validation-agent";
import { createBaseCheck } from "../../lib/code-host/base-check";
import type { HostResolver } from "../../lib/code-host/publish/publish";
import type { Db } from "../../lib/db/client";
import { updateRepositorySettings } from "../../lib/repositories/update-repository-settings";
import type { Logger } from "../../lib/log";
import type { Stage } from "../../lib/pipeline/stages";

/**
 * A test stage that passes. The test stage runs pull-request code in the sandbox (its own tests:
 * test/integration/test-agent.test.ts); the code-host flow tests use this one so that they are
 * about what happens after it. Its summary says it is a stand-in.
 */
export const passingTestStage: StageAgent = {
  stage: "test",
  async run(context) {
    const outcome = { kind: "pass" as const, summary: "Tests passed (a stand-in: this test is about deployment and merging)" };
    return { outcome, stageOutput: {}, decision: measuredDecision({ agent: "test", agentVersion: "stand-in", provider: "stand-in", inputParts: [context.run.headSha], outcome, output: {}, rationale: outcome.summary }) };
  },
};

/** Runs a run's queued stage attempts one after another, as runners would, until the run stops moving. */
export async function driveRun(db: Db, options: { runId: string; agents: Record<Stage, StageAgent>; log: Logger }) {
  for (;;) {
    const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: options.runId }, select: { status: true } });
    if (run.status !== "queued") return;
    const attempt = await db.stageRun.findFirstOrThrow({ where: { runId: options.runId, status: "queued" } });
    await runStageJob({ db, log: options.log, agents: options.agents }, { runId: options.runId, stage: attempt.stage, attempt: attempt.attempt });
  }
}

/**
 * The agents a runner has for a code-host repository (the review, staging, validation and the
 * canary for real, without an LLM; the test stage the stand-in above), on a canary clock of 3600
 * simulated seconds per second for the repository: a 10-minute canary takes a sixth of a second.
 */
export async function codeHostPipeline(db: Db, options: { repository: string; resolveHost: HostResolver }): Promise<Record<Stage, StageAgent>> {
  const { id } = await db.repository.findUniqueOrThrow({ where: { name: options.repository }, select: { id: true } });
  await updateRepositorySettings(db, { repositoryId: id, input: { deploy: { clockScale: 3600 } }, actor: { type: "system", id: "test", label: "test" } });
  return {
    review: createReviewAgent(null),
    test: passingTestStage,
    staging: createStagingAgent(),
    validation: createValidationAgent(),
    deployment: createDeploymentAgent(null, { checkBase: createBaseCheck(options.resolveHost) }),
  };
}
