import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createAnthropicProvider } from "@/agents/llm/anthropic";
import { createReviewAgent } from "@/agents/review/review-agent";
import type { StageAgent } from "@/agents/engine/stage-agent";
import { createSandbox } from "@/agents/sandbox/sandbox";
import { createTestAgent, type TestStageOutput } from "@/agents/test/test-agent";
import { createWorkspace, sweepWorkspaces, ensureWorkspaceRoot } from "@/agents/test/workspace";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { log } from "@/lib/log";
import { registerRepository } from "@/lib/repositories/register-repository";
import { updateRepositorySettings } from "@/lib/repositories/update-repository-settings";
import { createDemoRepository, demoBranches, demoTestSettings } from "@/scripts/lib/demo-repository";
import { submitWithGit } from "@/scripts/lib/submit-with-git";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { stageAgents } from "../support/stage-agents";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic";

const actor = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "test-agent" });
const branch = (name: string) => demoBranches.findIndex((b) => b.name === name);

// What a model might write for src/loyalty.js of the demo's feature/loyalty-points branch.
const goodLoyaltyTest = `import assert from "node:assert/strict";
import { test } from "node:test";
import { loyaltyPoints } from "../../src/loyalty.js";

test("one point per euro, capped at 500", () => {
  assert.equal(loyaltyPoints(1234), 12);
  assert.equal(loyaltyPoints(100_000), 500);
  assert.equal(loyaltyPoints(0), 0);
  assert.equal(loyaltyPoints(Number.NaN), 0);
});
`;
// The source case study's failure: a generated test that reads a fixture that does not exist.
const fixtureLoyaltyTest = `import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loyaltyPoints } from "../../src/loyalty.js";

const cases = JSON.parse(readFileSync(new URL("../fixtures/loyalty-cases.json", import.meta.url), "utf8"));

test("loyalty cases from the fixture", () => {
  for (const c of cases) assert.equal(loyaltyPoints(c.totalCents), c.points);
});
`;
// Passes, but exercises nothing the PR changed.
const unrelatedTest = `import assert from "node:assert/strict";
import { test } from "node:test";
import { orderTotal } from "../../src/totals.js";

test("an empty order totals zero", () => {
  assert.equal(orderTotal([]), 0);
});
`;
const reply = (tests: { path: string; content: string }[]) => ({
  text: JSON.stringify({ tests: tests.map((t) => ({ ...t, covers: "src/loyalty.js" })) }),
  usage: { input_tokens: 900, output_tokens: 300 },
});

describe("the test agent on real workspaces", () => {
  let t: TestDatabase;
  let repoDir: string;
  let workspaceRoot: string;
  const sandbox = createSandbox("bubblewrap");
  let fake: FakeAnthropic;
  let number = 1;

  const heuristicAgents = () => ({ review: createReviewAgent(null), test: createTestAgent(null, { workspaceRoot, sandbox }) });

  /** Submits a demo branch and runs review then test, as a runner would. */
  async function runBranch(name: string, testAgent: StageAgent = heuristicAgents().test) {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: name, number: number++, author: demoBranches[branch(name)].author, actor, note: () => {} });
    const agents = stageAgents({ review: createReviewAgent(null), test: testAgent });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "review", attempt: 1 });
    expect(await t.db.stageRun.findFirst({ where: { runId: run.id, stage: "review" } })).toMatchObject({ status: "passed" });
    await runStageJob({ db: t.db, log: quiet, agents }, { runId: run.id, stage: "test", attempt: 1 });
    const stage = await t.db.stageRun.findFirstOrThrow({ where: { runId: run.id, stage: "test", attempt: 1 } });
    const decision = await t.db.agentDecision.findFirstOrThrow({ where: { runId: run.id, agent: "test" } });
    return { runId: run.id, stage, output: stage.output as unknown as TestStageOutput, decision, run: await t.db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } }) };
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-test-agent-repo-"));
    workspaceRoot = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-workspaces-")));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo-shop", path: repoDir, test: demoTestSettings }, actor });
    fake = await startFakeAnthropic();
  });
  afterAll(async () => {
    await fake?.close();
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  });

  it("passes a well-tested change with its changed-line coverage, and removes its workspace", async () => {
    const { output, run, stage } = await runBranch("feature/order-total-format");
    expect(stage.status).toBe("passed");
    expect(run).toMatchObject({ status: "queued", currentStage: "staging" });
    expect(output.suite).toMatchObject({ failed: 0, errored: 0 });
    expect(output.suite!.passed).toBeGreaterThanOrEqual(5);
    const format = output.coverage.before!.files.find((f) => f.path === "src/format.js")!;
    expect(format).toMatchObject({ status: "measured", percent: 100, uncoveredRanges: [] });
    // Changed test files are listed but never count towards the changed-line coverage.
    expect(output.coverage.before!.files.find((f) => f.path === "test/format.test.js")?.status).toBe("test_file");
    expect(output.coverage.before).toMatchObject({ percent: 100, covered: format.covered, executable: format.executable });
    expect(fs.readdirSync(workspaceRoot)).toEqual([]);
    expect(execFileSync("git", ["worktree", "list"], { cwd: repoDir, encoding: "utf8" }).trim().split("\n")).toHaveLength(1);
  });

  it("escalates an untested change in heuristic mode, listing the gaps and saying no tests were generated", async () => {
    const { output, run, decision } = await runBranch("feature/loyalty-points");
    expect(run.status).toBe("escalated");
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    expect(escalation).toMatchObject({ stage: "test", reasons: ["coverage_gap"] });
    expect(escalation.reasonLabels[0]).toMatch(/^coverage 0% < 80%$/);
    const loyalty = output.coverage.before!.files.find((f) => f.path === "src/loyalty.js")!;
    expect(loyalty.status).toBe("not_in_report");
    expect(loyalty.uncoveredRanges.length).toBeGreaterThan(0);
    expect(output.generation.mode).toBe("heuristic");
    expect(decision.provider).toBe("heuristic");
    expect(decision.rationale).toContain("No LLM is configured, so no tests were generated");
    expect(decision.rationale).toMatch(/src\/loyalty\.js: \d/);
  });

  it("fails a change that breaks an existing test, naming the test", async () => {
    const { output, run, stage } = await runBranch("fix/order-total-rounding");
    expect(stage.status).toBe("failed");
    expect(run.status).toBe("failed");
    expect(output.suite!.failures.map((f) => f.name)).toEqual(["orderTotal sums price times quantity in cents"]);
    expect(stage.summary).toContain("orderTotal sums price times quantity in cents");
  });

  it("runs generated tests before trusting them: a missing fixture is sent back, the fixed test is kept, a test that covers nothing new is not", async () => {
    fake.enqueue(
      reply([
        { path: "test/generated/loyalty.test.js", content: fixtureLoyaltyTest },
        { path: "test/generated/totals-extra.test.js", content: unrelatedTest },
      ]),
      reply([{ path: "test/generated/loyalty.test.js", content: goodLoyaltyTest }]),
    );
    const before = fake.requests.length;
    const provider = createAnthropicProvider({ apiKey: "sk-ant-test-key-0000000000000000000000", baseURL: fake.baseURL, maxRetries: 0 });
    const { output, run, decision, runId } = await runBranch("feature/loyalty-points", createTestAgent(provider, { workspaceRoot, sandbox }));

    const tests = output.generation.tests.map((g) => [g.path, g.attempt, g.status]);
    expect(tests).toEqual([
      ["test/generated/loyalty.test.js", 1, "failed"],
      ["test/generated/totals-extra.test.js", 1, "no_new_coverage"],
      ["test/generated/loyalty.test.js", 2, "kept"],
    ]);
    // The retry carried the failure output of the first attempt back to the model.
    const retryPrompt = JSON.stringify(fake.requests[before + 1].body.messages);
    expect(retryPrompt).toContain("loyalty-cases.json");
    expect(retryPrompt).toMatch(/ENOENT|no such file/);
    expect(output.coverage.before!.percent).toBe(0);
    expect(output.coverage.after!.percent).toBe(100);
    expect(run).toMatchObject({ status: "queued", currentStage: "staging" });
    expect(decision).toMatchObject({ provider: "anthropic", inputTokens: 1800, outputTokens: 600 });
    expect(output.generation.patch).toContain("+++ b/test/generated/loyalty.test.js");
    expect(output.generation.patch).not.toContain("totals-extra");
    // The patch applies to the PR head and its test passes there.
    const check = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-patch-"));
    try {
      execFileSync("git", ["clone", "-q", "--branch", "feature/loyalty-points", repoDir, check]);
      execFileSync("git", ["apply", "-"], { cwd: check, input: output.generation.patch! });
      execFileSync("node", ["--test", "test/generated/loyalty.test.js"], { cwd: check, stdio: "pipe" });
    } finally {
      fs.rmSync(check, { recursive: true, force: true });
    }
    const stored = await t.db.stageRun.findFirstOrThrow({ where: { runId, stage: "test" } });
    expect(JSON.stringify(stored.output)).toContain("ENOENT");
  });

  it("rejects generated tests that never pass, and escalates", async () => {
    fake.enqueue(
      reply([{ path: "test/generated/loyalty.test.js", content: fixtureLoyaltyTest }]),
      reply([{ path: "test/generated/loyalty.test.js", content: fixtureLoyaltyTest.replace("loyalty-cases", "other-cases") }]),
    );
    const provider = createAnthropicProvider({ apiKey: "sk-ant-test-key-0000000000000000000000", baseURL: fake.baseURL, maxRetries: 0 });
    const { output, run } = await runBranch("feature/loyalty-points", createTestAgent(provider, { workspaceRoot, sandbox }));
    expect(output.generation.tests.map((g) => [g.attempt, g.status])).toEqual([
      [1, "failed"],
      [2, "failed"],
    ]);
    expect(output.generation.tests[1].reason).toContain("no attempts left of 2");
    expect(output.generation.patch).toBeNull();
    expect(run.status).toBe("escalated");
  });

  it("kills a test command that hangs at the time limit, with its whole process group, and escalates", async () => {
    const { run: repo } = { run: await t.db.repository.findUniqueOrThrow({ where: { name: "demo-shop" } }) };
    const marker = `flowgate-hang-${process.pid}`;
    await updateRepositorySettings(t.db, {
      repositoryId: repo.id,
      input: { test: { preset: "node-test", testCommand: `sh -c 'sleep 600; echo ${marker}' & sleep 600`, timeLimitSeconds: 5 } },
      actor,
    });
    try {
      const { output, run } = await runBranch("feature/order-total-format");
      expect(run.status).toBe("escalated");
      expect(output.problem).toBe("the test command timed out after 5 s");
      expect(output.commands[0]).toMatchObject({ timedOut: true });
      expect(output.commands[0].output).toContain("killed after the time limit of 5 s");
      const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
      expect(escalation.reasons).toEqual(["tests_not_runnable"]);
      // Neither the shell nor its background child survives.
      const survivors = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
      expect(survivors).toEqual([]);
    } finally {
      await updateRepositorySettings(t.db, { repositoryId: repo.id, input: { test: demoTestSettings }, actor });
    }
  });

  it("sweeps workspaces that crashed stages left behind, and keeps those still in progress", async () => {
    const { run } = await submitWithGit(t.db, { repoPath: repoDir, base: "main", head: "feature/order-total-format", number: number++, author: "x@y.z", actor, note: () => {} });
    const repository = { kind: "local", location: repoDir };
    const inProgress = await createWorkspace({ root: workspaceRoot, repository, headSha: run.headSha, runId: run.id, stage: "review", attempt: 1 });
    const orphan = await createWorkspace({ root: workspaceRoot, repository, headSha: run.headSha, runId: run.id, stage: "test", attempt: 7 });
    fs.mkdirSync(path.join(workspaceRoot, "not-a-workspace"));
    expect(await sweepWorkspaces(t.db, { root: workspaceRoot, log: quiet })).toBe(2);
    expect(fs.existsSync(inProgress.dir)).toBe(true);
    expect(fs.existsSync(orphan.dir)).toBe(false);
    expect(execFileSync("git", ["worktree", "list"], { cwd: repoDir, encoding: "utf8" })).not.toContain("--test--7");
    await inProgress.remove();
  });
});
