import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createDeploymentAgent } from "@/agents/deployment/deployment-agent";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createAnthropicProvider } from "@/agents/llm/anthropic";
import { createReviewAgent } from "@/agents/review/review-agent";
import type { StageAgent } from "@/agents/engine/stage-agent";
import { createStagingAgent } from "@/agents/staging/staging-agent";
import { createSandbox } from "@/agents/sandbox/sandbox";
import { ensureWorkspaceRoot } from "@/agents/test/workspace";
import { createTestAgent } from "@/agents/test/test-agent";
import { createValidationAgent } from "@/agents/validation/validation-agent";
import { payloadOf } from "@/lib/audit/chain/event-payload";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { intervalVerdictSchema } from "@/lib/canary";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { log } from "@/lib/log";
import type { Stage } from "@/lib/pipeline/stages";
import { registerRepository } from "@/lib/repositories/register-repository";
import { updateRepositorySettings } from "@/lib/repositories/update-repository-settings";
import { createDemoRepository, demoBranches, demoTestSettings } from "@/scripts/lib/demo-repository";
import { submitWithGit } from "@/scripts/lib/submit-with-git";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { startFakeAnthropic } from "../support/fake-anthropic";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "delivery-agents" });

/** Review → test → staging → validation → deployment, each stage run as a runner would, on the demo repository. */
describe("staging, validation and the canary on the simulated target", () => {
  let t: TestDatabase;
  let repoDir: string;
  let workspaceRoot: string;
  const sandbox = createSandbox("bubblewrap");
  let number = 1;

  async function deliver(branch: string, overrides: Partial<Record<Stage, StageAgent>> = {}) {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: branch, number: number++, author: demoBranches.find((b) => b.name === branch)!.author, actor, note: () => {} });
    const agents = {
      review: createReviewAgent(null),
      test: createTestAgent(null, { workspaceRoot, sandbox }),
      staging: createStagingAgent(),
      validation: createValidationAgent(),
      deployment: createDeploymentAgent(null),
      ...overrides,
    };
    for (;;) {
      const current = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } });
      if (current.status !== "queued") break;
      const attempt = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, status: "queued" } });
      await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: attempt.stage, attempt: attempt.attempt });
    }
    const finished = await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id }, include: { stageRuns: { orderBy: { queuedAt: "asc" } }, escalations: true } });
    const deployments = await t.db.deployment.findMany({ where: { runId: run.id }, include: { steps: { orderBy: { id: "asc" } } }, orderBy: { startedAt: "asc" } });
    return { run: finished, deployments, stages: finished.stageRuns.map((s) => [s.stage, s.status]) };
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-delivery-repo-"));
    workspaceRoot = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-delivery-ws-")));
    await createDemoRepository(repoDir);
    // 3600 simulated seconds per real second: the 10-minute canary takes a sixth of a second.
    await registerRepository(t.db, { input: { name: "demo-shop", path: repoDir, test: demoTestSettings, deploy: { clockScale: 3600 } }, actor });
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  });

  it("promotes a healthy change after ten passing canary intervals at 5%", async () => {
    const { run, deployments, stages } = await deliver("feature/order-total-format");
    expect(stages).toEqual([
      ["review", "passed"],
      ["test", "passed"],
      ["staging", "passed"],
      ["validation", "passed"],
      ["deployment", "passed"],
    ]);
    expect(run.status).toBe("done");
    const [staging, production] = deployments;
    expect(staging).toMatchObject({ environment: "staging", status: "promoted" });
    expect(production).toMatchObject({ environment: "production", status: "promoted", trafficPercent: 100 });
    const kinds = production.steps.map((s) => s.kind);
    expect(kinds[0]).toBe("deploy");
    expect(production.steps[1]).toMatchObject({ kind: "set_weight", weight: 5 });
    expect(kinds.filter((k) => k === "evaluation")).toHaveLength(10);
    expect(kinds.at(-1)).toBe("promote");
    for (const step of production.steps.filter((s) => s.kind === "evaluation")) expect(intervalVerdictSchema.safeParse(step.detail).success).toBe(true);
    // The canary served about 5% of the simulated traffic.
    const samples = await t.db.metricSample.groupBy({ by: ["cohort"], where: { deploymentId: production.id }, _sum: { requests: true } });
    const share = Object.fromEntries(samples.map((s) => [s.cohort, s._sum.requests!]));
    expect(share.canary / (share.canary + share.baseline)).toBeGreaterThan(0.035);
    expect(share.canary / (share.canary + share.baseline)).toBeLessThan(0.065);
    const actions = (await t.db.auditEvent.findMany({ where: { runId: run.id }, select: { action: true } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["deployment.deploy", "deployment.set_weight", "deployment.evaluation", "deployment.promote"]));
  });

  it("fails at staging when a smoke check fails, naming it", async () => {
    const { run, deployments, stages } = await deliver("feature/health-details");
    expect(stages.at(-1)).toEqual(["staging", "failed"]);
    expect(run.status).toBe("failed");
    expect(deployments).toHaveLength(1);
    expect(deployments[0].status).toBe("failed");
    const staging = run.stageRuns.find((s) => s.stage === "staging")!;
    expect(staging.summary).toContain("GET /health returned 500");
  });

  it("escalates a latency regression found in staging with the statistics behind it", async () => {
    const { run, stages } = await deliver("feature/order-export-csv");
    expect(stages.at(-1)).toEqual(["validation", "escalated"]);
    expect(run.status).toBe("escalated");
    const escalation = run.escalations[0];
    expect(escalation.reasons).toEqual(["staging_regression"]);
    expect(escalation.reasonLabels[0]).toMatch(/^p99_latency_ms fail \(\+\d+%\)$/);
    const decision = await t.db.agentDecision.findFirstOrThrow({ where: { runId: run.id, agent: "validation" } });
    expect(decision.rationale).toContain("Mann-Whitney");
    const metrics = (decision.output as { metrics: { name: string; verdict: string; interval: unknown; pValue: number }[] }).metrics;
    const latency = metrics.find((m) => m.name === "p99_latency_ms")!;
    expect(latency.verdict).toBe("fail");
    expect(latency.interval).not.toBeNull();
    expect(latency.pValue).toBeLessThan(0.01);
  });

  it.each([
    ["feature/order-notes", "error_rate_percent", "%"],
    ["feature/order-recommendations", "p99_latency_ms", "ms"],
  ])("rolls back %s on %s with the value, the threshold and an incident report", async (branch, metric, unit) => {
    const { run, deployments, stages } = await deliver(branch);
    expect(stages.at(-1)).toEqual(["deployment", "rolled_back"]);
    expect(run.status).toBe("rolled_back");
    const production = deployments.find((d) => d.environment === "production")!;
    expect(production).toMatchObject({ status: "rolled_back", trafficPercent: 0 });
    const rollback = production.steps.find((s) => s.kind === "rollback")!;
    expect(rollback.detail).toMatchObject({ source: "hard_threshold", metric, unit });
    const { value, threshold } = rollback.detail as { value: number; threshold: number };
    expect(value).toBeGreaterThan(threshold);
    expect(production.steps.filter((s) => s.kind === "evaluation").length).toBeLessThan(10);
    const report = production.incidentReport as { provider: string; trippedMetric: { name: string }; timeline: unknown[]; suspectFiles: { path: string }[]; hypothesis: string };
    expect(report.provider).toBe("heuristic");
    expect(report.trippedMetric.name).toBe(metric);
    expect(report.timeline.length).toBeGreaterThanOrEqual(3);
    expect(report.suspectFiles[0].path).toMatch(/^src\//);
    expect(report.hypothesis).toContain("Structured report without an LLM");
    expect(production.steps.at(-1)).toMatchObject({ kind: "notification" });
  });

  it("writes the rollback's root-cause hypothesis with an LLM (through the real SDK) when one is configured", async () => {
    const fake = await startFakeAnthropic();
    try {
      const hypothesis = "The recommendation loop scans every order for each request; under production traffic that pushes p99 past 800 ms.";
      fake.enqueue({ text: JSON.stringify({ hypothesis, suspectFiles: [{ path: "src/recommendations.js", reason: "O(orders × items) per request" }] }), usage: { input_tokens: 700, output_tokens: 90 } });
      const provider = createAnthropicProvider({ apiKey: "sk-ant-test-key-0000000000000000000000", baseURL: fake.baseURL, maxRetries: 0 });
      const { deployments, run } = await deliver("feature/order-recommendations", { deployment: createDeploymentAgent(provider) });
      const report = deployments.find((d) => d.environment === "production")!.incidentReport as { provider: string; hypothesis: string; suspectFiles: { path: string }[]; trippedMetric: { name: string } };
      expect(report).toMatchObject({ provider: "anthropic", hypothesis, trippedMetric: { name: "p99_latency_ms" } });
      expect(report.suspectFiles[0].path).toBe("src/recommendations.js");
      const prompt = JSON.stringify(fake.requests.at(-1)!.body.messages);
      expect(prompt).toContain("p99_latency_ms");
      expect(prompt).toContain("src/recommendations.js");
      const decision = await t.db.agentDecision.findFirstOrThrow({ where: { runId: run.id, agent: "deployment" } });
      expect(decision).toMatchObject({ provider: "anthropic" });
      expect(decision.rationale).toContain(hypothesis);
    } finally {
      await fake.close();
    }
  });

  it("refuses deploy settings that cannot work, naming the field, and audits a change", async () => {
    const repository = await t.db.repository.findUniqueOrThrow({ where: { name: "demo-shop" } });
    const bad = { production: { target: { kind: "command", deployCommand: "./deploy.sh" }, metricSource: { kind: "prometheus", baseUrl: "http://127.0.0.1:9090" } } };
    const error = await updateRepositorySettings(t.db, { repositoryId: repository.id, input: { deploy: bad as never }, actor }).catch((err) => err);
    expect(error).toBeInstanceOf(ZodError);
    expect((error as ZodError).issues.map((i) => i.path.join("."))).toContain("deploy.production.target.setWeightCommand");
    await updateRepositorySettings(t.db, { repositoryId: repository.id, input: { deploy: { clockScale: 3600, adjustmentFactor: 1.5 } }, actor });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: "repository.settings_changed" }, orderBy: { sequence: "desc" } });
    expect(payloadOf(event.content)).toMatchObject({ before: { deploy: { clockScale: 3600 } }, after: { deploy: { clockScale: 3600, adjustmentFactor: 1.5 } } });
  });

  it("keeps the audit chain intact through every deployment step", async () => {
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
