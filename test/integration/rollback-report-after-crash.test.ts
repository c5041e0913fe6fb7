import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeploymentAgent } from "@/agents/deployment/deployment-agent";
import { runStageJob } from "@/agents/engine/run-stage-job";
import type { StageContext } from "@/agents/engine/stage-agent";
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
 * Found by the chaos soak (issue #19): a runner that died after a canary's rollback step committed
 * and before its incident report and notification did left a rollback nobody was told about; the
 * retried job saw "rolled_back" and only reported that the canary had ended.
 */
describe("a rollback whose runner died before the incident report", () => {
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

  it("is reported by the retried attempt: incident report, notification step and one notification", async () => {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: "feature/order-notes", number: 1, author: "dana@demo-shop.dev", actor, note: () => {} });
    const agents = {
      review: createReviewAgent(null),
      test: createTestAgent(null, { workspaceRoot, sandbox: createSandbox("bubblewrap") }),
      staging: createStagingAgent(),
      validation: createValidationAgent(),
      deployment: createDeploymentAgent(null),
    };
    // Every stage before the canary, as a runner runs them.
    for (;;) {
      const attempt = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, status: "queued" } });
      if (attempt.stage === "deployment") break;
      await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: attempt.stage, attempt: attempt.attempt });
    }
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
});
