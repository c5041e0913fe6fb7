import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeploymentAgent } from "@/agents/deployment/deployment-agent";
import { runStageJob } from "@/agents/engine/run-stage-job";
import type { StageAgent, StageContext } from "@/agents/engine/stage-agent";
import { createReviewAgent } from "@/agents/review/review-agent";
import { createSandbox } from "@/agents/sandbox/sandbox";
import { createStagingAgent } from "@/agents/staging/staging-agent";
import { createTestAgent } from "@/agents/test/test-agent";
import { ensureWorkspaceRoot } from "@/agents/test/workspace";
import { createValidationAgent } from "@/agents/validation/validation-agent";
import { log } from "@/lib/log";
import { createChannel } from "@/lib/notifications/channels";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { policyRulesSchema } from "@/lib/policy/policy-rules";
import { registerRepository } from "@/lib/repositories/register-repository";
import { loadDiffText } from "@/lib/runs/run-diff";
import { createDemoRepository, demoTestSettings } from "@/scripts/lib/demo-repository";
import { submitWithGit } from "@/scripts/lib/submit-with-git";
import { createTestDatabase, type TestDatabase } from "../support/database";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "rollback-report-after-crash" });

/**
 * Issue #19: a runner that died after a canary's rollback step committed and before its incident
 * report and notification did left a rollback nobody was told about (the retried job saw
 * "rolled_back" and only said the canary had ended); and a canary whose attempt failed (its error
 * recorded) was left live while the next attempt started a second one. And a canary whose run ended
 * (a new head superseded it) while no runner watched it stayed at its weight for good; one whose
 * runner was alive went on to promote a head that would never be merged.
 */
describe("a canary whose attempt died or failed half-way, or whose run ended under it", () => {
  let t: TestDatabase;
  let repoDir: string;
  let workspaceRoot: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-rollback-repo-"));
    workspaceRoot = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-rollback-ws-")));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo-shop", path: repoDir, test: demoTestSettings, deploy: { clockScale: 3600 } }, actor });
    await createChannel(t.db, { input: { name: "incidents", kind: "webhook", url: "http://127.0.0.1:9/hook", events: ["deployment.rolled_back"] }, actor });
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  });

  let number = 1;
  const agents = () => ({
    review: createReviewAgent(null),
    test: createTestAgent(null, { workspaceRoot, sandbox: createSandbox("bubblewrap") }),
    staging: createStagingAgent(),
    validation: createValidationAgent(),
    deployment: createDeploymentAgent(null),
  });
  /** A run of a demo branch through every stage before the canary, as a runner runs them. */
  async function atDeployment(branch: string) {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: branch, number: number++, author: "dana@demo-shop.dev", actor, note: () => {} });
    for (;;) {
      const attempt = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, status: "queued" } });
      if (attempt.stage === "deployment") break;
      await runStageJob({ db: t.db, log: quiet, agents: agents() }, { runId: run.id, stage: attempt.stage, attempt: attempt.attempt });
    }
    return run;
  }

  /**
   * The deployment stage's first attempt marked running, as a runner marks it when it starts the
   * stage, and the context the agent is given (with the diff, or a `diffText` of the test's own).
   */
  async function runningFirstAttempt(runId: string) {
    const attempt = await t.db.stageRun.update({ where: { runId_stage_attempt: { runId, stage: "deployment", attempt: 1 } }, data: { status: "running", startedAt: new Date() } });
    await t.db.pipelineRun.update({ where: { id: runId }, data: { status: "running", currentStage: "deployment" } });
    const loaded = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { policy: true, pullRequest: { include: { repository: true } } } });
    return (diffText = async () => (await loadDiffText(t.db, runId))!): StageContext => ({
      db: t.db,
      log: quiet,
      policy: policyRulesSchema.parse(loaded.policy.rules),
      attempt: 1,
      stageRunId: attempt.id,
      run: { ...loaded, diffText },
    });
  }

  it("rolled back before its incident report is reported by the retried job: incident report, notification step and one notification", async () => {
    // Found by the chaos soak: 3 of 60 rollbacks of a 10-minute soak had no report or notification.
    const run = await atDeployment("feature/order-notes");
    const context = await runningFirstAttempt(run.id);

    // The runner "dies" right after the rollback step: reading the diff for the report is the next thing it does.
    await expect(createDeploymentAgent(null).run(context(() => Promise.reject(new Error("SIGKILL"))))).rejects.toThrow("SIGKILL");
    const crashed = await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" } });
    expect(crashed).toMatchObject({ status: "rolled_back", incidentReport: null });

    // The job is retried on the same attempt.
    const retried = await createDeploymentAgent(null).run(context());
    expect(retried.outcome).toMatchObject({ kind: "rollback", summary: expect.stringMatching(/^Rolled back: .*error rate/) });
    const production = await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" }, include: { steps: { orderBy: { id: "asc" } } } });
    expect(production.incidentReport).toMatchObject({ trippedMetric: { name: "error_rate_percent" } });
    expect(production.steps.filter((s) => s.kind === "rollback")).toHaveLength(1);
    expect(production.steps.at(-1)).toMatchObject({ kind: "notification", verdict: "ok" });
    expect(await t.db.notification.count({ where: { event: "deployment.rolled_back", subjectId: production.id } })).toBe(1);

    // A third run of the job (another crash, after the report) reports nothing twice.
    await createDeploymentAgent(null).run(context());
    expect(await t.db.deploymentStep.count({ where: { deploymentId: production.id, kind: "notification" } })).toBe(1);
    expect(await t.db.notification.count({ where: { event: "deployment.rolled_back", subjectId: production.id } })).toBe(1);
  }, 120_000);

  /** A deployment agent that fails (`error`) the moment the canary stores its first samples: the canary is live at its weight. */
  const failingAtFirstSamples = (error: string): StageAgent => ({
    stage: "deployment",
    run: (ctx) =>
      createDeploymentAgent(null).run({
        ...ctx,
        db: new Proxy(ctx.db, {
          get: (target, prop, receiver) => {
            if (prop === "metricSample") throw new Error(error);
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
      }),
  });

  it("failed mid-canary (its error recorded, a new attempt) is taken over by the next attempt, never left live beside a second canary", async () => {
    const run = await atDeployment("feature/order-total-format");
    // The connection is cut while the canary stores its first samples: the agent throws, the engine
    // records the error and schedules attempt 2.
    await runStageJob({ db: t.db, log: quiet, agents: { ...agents(), deployment: failingAtFirstSamples("Connection terminated unexpectedly") } }, { runId: run.id, stage: "deployment", attempt: 1 });
    expect(await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 1 } } })).toMatchObject({ status: "error" });
    expect(await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" } })).toMatchObject({ status: "canary", trafficPercent: 5 });

    await runStageJob({ db: t.db, log: quiet, agents: agents() }, { runId: run.id, stage: "deployment", attempt: 2 });
    const deployments = await t.db.deployment.findMany({ where: { runId: run.id, environment: "production" } });
    expect(deployments).toHaveLength(1);
    const second = await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 2 } } });
    expect(deployments[0].stageRunId).toBe(second.id);
    // Resumed and promoted, or rolled back for having waited longer than the (compressed) canary: ended either way.
    expect(["promoted", "rolled_back"]).toContain(deployments[0].status);
    expect((await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe(deployments[0].status === "promoted" ? "done" : "rolled_back");
  }, 120_000);

  /** A new head for the run's pull request: the run is superseded. */
  async function supersede(runId: string, branch: string) {
    const { pullRequest } = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, select: { pullRequest: { select: { number: true } } } });
    const newer = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: branch, number: pullRequest.number, author: "dana@demo-shop.dev", actor, note: () => {} });
    expect(newer.superseded).toEqual([runId]);
  }

  async function expectRolledBackAsAbandoned(runId: string) {
    const production = await t.db.deployment.findFirstOrThrow({ where: { runId, environment: "production" }, include: { steps: { orderBy: { id: "asc" } } } });
    expect(production).toMatchObject({ status: "rolled_back", trafficPercent: 0, rollbackReason: expect.stringMatching(/^the run was superseded while/) });
    expect(production.incidentReport).toMatchObject({ provider: "heuristic", trippedMetric: null });
    expect(production.steps.map((s) => s.kind).slice(-2)).toEqual(["rollback", "notification"]);
    expect(production.steps.some((s) => s.kind === "promote")).toBe(false);
    expect(await t.db.notification.count({ where: { event: "deployment.rolled_back", subjectId: production.id } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: "deployment.rollback", subjectId: production.id } })).toBe(1);
    return production;
  }

  it("left live by a killed runner and then superseded is rolled back by the retried job, with its report and notification", async () => {
    const run = await atDeployment("feature/order-total-format");
    const context = await runningFirstAttempt(run.id);
    await expect(failingAtFirstSamples("SIGKILL").run(context())).rejects.toThrow("SIGKILL");
    expect(await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" } })).toMatchObject({ status: "canary", trafficPercent: 5 });

    await supersede(run.id, "fix/order-total-rounding");
    // The lease releases the dead runner's job; another runner claims it.
    await runStageJob({ db: t.db, log: quiet, agents: agents() }, { runId: run.id, stage: "deployment", attempt: 1 });
    expect(await t.db.stageRun.findUniqueOrThrow({ where: { id: context().stageRunId } })).toMatchObject({ status: "cancelled" });
    const production = await expectRolledBackAsAbandoned(run.id);

    // The job run once more (another crash): nothing twice.
    await runStageJob({ db: t.db, log: quiet, agents: agents() }, { runId: run.id, stage: "deployment", attempt: 1 });
    expect(await t.db.deploymentStep.count({ where: { deploymentId: production.id } })).toBe(production.steps.length);
  }, 120_000);

  it("left live by a failed attempt whose retry was cancelled with the run is rolled back by that retry's job", async () => {
    const run = await atDeployment("feature/order-total-format");
    await runStageJob({ db: t.db, log: quiet, agents: { ...agents(), deployment: failingAtFirstSamples("SIGKILL") } }, { runId: run.id, stage: "deployment", attempt: 1 });
    expect(await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 2 } } })).toMatchObject({ status: "queued" });

    await supersede(run.id, "fix/order-total-rounding");
    expect(await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 2 } } })).toMatchObject({ status: "cancelled" });
    await runStageJob({ db: t.db, log: quiet, agents: agents() }, { runId: run.id, stage: "deployment", attempt: 2 });
    await expectRolledBackAsAbandoned(run.id);
  }, 120_000);

  it("superseded while its runner watches it is rolled back at the next interval, never promoted", async () => {
    const run = await atDeployment("feature/order-total-format");
    let superseded = false;
    // A new head arrives while the canary stores its first interval's samples.
    const watched: StageAgent = {
      stage: "deployment",
      run: (ctx) =>
        createDeploymentAgent(null).run({
          ...ctx,
          db: new Proxy(ctx.db, {
            get: (target, prop, receiver) => {
              const real = Reflect.get(target, prop, receiver) as Record<string, unknown>;
              if (prop !== "metricSample" || superseded) return real;
              return new Proxy(real, {
                get: (samples, method) =>
                  method === "createMany" && !superseded
                    ? async (args: unknown) => {
                        superseded = true;
                        await supersede(run.id, "fix/order-total-rounding");
                        return (samples.createMany as (a: unknown) => Promise<unknown>)(args);
                      }
                    : Reflect.get(samples, method),
              });
            },
          }),
        }),
    };
    await runStageJob({ db: t.db, log: quiet, agents: { ...agents(), deployment: watched } }, { runId: run.id, stage: "deployment", attempt: 1 });
    expect(superseded).toBe(true);
    const production = await expectRolledBackAsAbandoned(run.id);
    expect(production.rollbackReason).toMatch(/while its canary ran/);
    expect(await t.db.stageRun.findUniqueOrThrow({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 1 } } })).toMatchObject({ status: "cancelled" });
    expect((await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("superseded");
  }, 120_000);
});
