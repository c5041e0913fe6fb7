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
 * recorded) was left live while the next attempt started a second one.
 */
describe("a canary whose attempt died or failed half-way", () => {
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

  it("rolled back before its incident report is reported by the retried job: incident report, notification step and one notification", async () => {
    // Found by the chaos soak: 3 of 60 rollbacks of a 10-minute soak had no report or notification.
    const run = await atDeployment("feature/order-notes");
    const attempt = await t.db.stageRun.update({ where: { runId_stage_attempt: { runId: run.id, stage: "deployment", attempt: 1 } }, data: { status: "running", startedAt: new Date() } });
    const loaded = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id }, include: { policy: true, pullRequest: { include: { repository: true } } } });
    const context = (diffText: () => Promise<string>): StageContext => ({
      db: t.db,
      log: quiet,
      policy: policyRulesSchema.parse(loaded.policy.rules),
      attempt: 1,
      stageRunId: attempt.id,
      run: { ...loaded, diffText },
    });

    // The runner "dies" right after the rollback step: reading the diff for the report is the next thing it does.
    await expect(createDeploymentAgent(null).run(context(() => Promise.reject(new Error("SIGKILL"))))).rejects.toThrow("SIGKILL");
    const crashed = await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" } });
    expect(crashed).toMatchObject({ status: "rolled_back", incidentReport: null });

    // The job is retried on the same attempt.
    const retried = await createDeploymentAgent(null).run(context(async () => (await loadDiffText(t.db, run.id))!));
    expect(retried.outcome).toMatchObject({ kind: "rollback", summary: expect.stringMatching(/^Rolled back: .*error rate/) });
    const production = await t.db.deployment.findFirstOrThrow({ where: { runId: run.id, environment: "production" }, include: { steps: { orderBy: { id: "asc" } } } });
    expect(production.incidentReport).toMatchObject({ trippedMetric: { name: "error_rate_percent" } });
    expect(production.steps.filter((s) => s.kind === "rollback")).toHaveLength(1);
    expect(production.steps.at(-1)).toMatchObject({ kind: "notification", verdict: "ok" });
    expect(await t.db.notification.count({ where: { event: "deployment.rolled_back", subjectId: production.id } })).toBe(1);

    // A third run of the job (another crash, after the report) reports nothing twice.
    await createDeploymentAgent(null).run(context(async () => (await loadDiffText(t.db, run.id))!));
    expect(await t.db.deploymentStep.count({ where: { deploymentId: production.id, kind: "notification" } })).toBe(1);
    expect(await t.db.notification.count({ where: { event: "deployment.rolled_back", subjectId: production.id } })).toBe(1);
  }, 120_000);

  it("failed mid-canary (its error recorded, a new attempt) is taken over by the next attempt, never left live beside a second canary", async () => {
    const run = await atDeployment("feature/order-total-format");
    // The connection is cut while the canary stores its first samples: the agent throws, the engine
    // records the error and schedules attempt 2.
    const cut: StageAgent = {
      stage: "deployment",
      run: (ctx) =>
        createDeploymentAgent(null).run({
          ...ctx,
          db: new Proxy(ctx.db, {
            get: (target, prop, receiver) => {
              if (prop === "metricSample") throw new Error("Connection terminated unexpectedly");
              return Reflect.get(target, prop, receiver) as unknown;
            },
          }),
        }),
    };
    await runStageJob({ db: t.db, log: quiet, agents: { ...agents(), deployment: cut } }, { runId: run.id, stage: "deployment", attempt: 1 });
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
});
