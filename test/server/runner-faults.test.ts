import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payloadOf } from "@/lib/audit/chain/event-payload";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createPrismaClient, type Db } from "@/lib/db/client";
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded";
import { migrateDatabase } from "@/lib/db/migrations";
import { continueRun } from "@/lib/pipeline/continue-run";
import { registerRepository } from "@/lib/repositories/register-repository";
import { updateRepositorySettings } from "@/lib/repositories/update-repository-settings";
import { submitRun } from "@/lib/runs/submit-run";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { submitWithGit } from "@/scripts/lib/submit-with-git";
import { cleanDiff as diff } from "../support/diffs";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic";
import { testDataDir } from "../support/flowgate-process";
import { spawnRunner, waitFor } from "../support/runner-process";

const actor = { type: "system", id: "test", label: "test" } as const;

const reviewJson = JSON.stringify({
  risk_score: 2,
  security_issues: [],
  performance_concerns: [],
  coverage_gaps: [],
  api_breaking_changes: [],
  auto_approvable: true,
  requires_human_review: false,
  review_rationale: "A small, tested formatting helper.",
});



/** Real runner processes against their own PostgreSQL, killed and restarted for real. */
describe("runner faults", () => {
  let dataDir: string;
  let database: EmbeddedDatabase;
  let db: Db;
  let fake: FakeAnthropic;
  let port: number;
  const runners: ChildProcess[] = [];
  let prNumber = 1;

  function startRunner() {
    const child = spawnRunner({
      DATABASE_URL: database.databaseUrl,
      ANTHROPIC_API_KEY: "sk-ant-test-0000000000000000000000000000",
      ANTHROPIC_BASE_URL: fake.baseURL,
      FLOWGATE_LLM_MAX_RETRIES: "0",
      FLOWGATE_DATA_DIR: dataDir,
    });
    runners.push(child);
    return child;
  }

  const submit = () =>
    submitRun(db, {
      actor,
      input: { repository: "demo", prNumber: prNumber++, title: "Format totals", author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${prNumber}`.padStart(40, "c"), diff },
    });

  const settled = (runId: string, timeoutMs?: number) =>
    waitFor(
      `run ${runId} to settle`,
      async () => {
        const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId } });
        return run.status !== "queued" && run.status !== "running" ? run : null;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    dataDir = testDataDir("runner-faults");
    port = await findFreePort();
    database = await startEmbeddedPostgres({ dataDir, port });
    await migrateDatabase(database.databaseUrl);
    db = createPrismaClient(database.databaseUrl);
    await ensureDefaultPolicy(db);
    const repo = path.join(dataDir, "repo");
    await createDemoRepository(repo);
    await registerRepository(db, { input: { name: "demo", path: repo }, actor });
    fake = await startFakeAnthropic();
  });

  afterAll(async () => {
    for (const runner of runners) if (runner.exitCode === null) runner.kill("SIGKILL");
    await db?.$disconnect();
    await fake?.close();
    await database?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("resumes a stage after its runner is SIGKILLed mid-stage, and records it exactly once", async () => {
    const first = startRunner();
    // The first model call hangs (the runner dies during it); the retry answers at once.
    fake.enqueue({ text: reviewJson, delayMs: 120_000 }, { text: reviewJson });
    const { run } = await submit();
    await waitFor("the stage to be mid-flight", async () => fake.requests.length >= 1 && (await db.stageRun.findFirst({ where: { runId: run.id, status: "running" } })));
    first.kill("SIGKILL");
    await new Promise((resolve) => first.once("exit", resolve));

    startRunner();
    const finished = await settled(run.id);
    // The repository has no test settings, so the test stage asks for them (escalates).
    expect(finished).toMatchObject({ status: "escalated", currentStage: "test" });
    expect(await db.stageRun.findMany({ where: { runId: run.id }, select: { stage: true, attempt: true, status: true }, orderBy: { queuedAt: "asc" } })).toEqual([
      { stage: "review", attempt: 1, status: "passed" },
      { stage: "test", attempt: 1, status: "escalated" },
    ]);
    expect(await db.agentDecision.count({ where: { runId: run.id, agent: "review" } })).toBe(1);
    const decided = await db.auditEvent.findMany({ where: { runId: run.id, action: "stage.decided" } });
    expect(decided.filter((e) => (payloadOf(e.content) as { stage?: string }).stage === "review")).toHaveLength(1);
    expect(fake.requests.length).toBe(2);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it("keeps working through a database restart", async () => {
    fake.enqueue({ text: reviewJson });
    const before = await submit();
    await settled(before.run.id);

    await database.stop();
    await new Promise((r) => setTimeout(r, 1500));
    database = await startEmbeddedPostgres({ dataDir, port });

    fake.enqueue({ text: reviewJson });
    const after = await submit();
    const finished = await settled(after.run.id);
    expect(finished.status).toBe("escalated");
    expect(await db.agentDecision.count({ where: { runId: after.run.id, agent: "review" } })).toBe(1);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  describe("a runner killed mid-canary", () => {
    let repoId: string;
    const repoPath = () => path.join(dataDir, "repo");

    /** A run of a demo branch that has passed every stage up to the canary, its deployment job queued. */
    async function atDeployment(clockScale: number) {
      await updateRepositorySettings(db, { repositoryId: repoId, input: { deploy: { clockScale } }, actor });
      const { run } = await submitWithGit(db, { repoPath: repoPath(), base: "main", head: "feature/order-total-format", number: prNumber++, author: "dana@demo-shop.dev", actor, note: () => {} });
      await db.$executeRaw`SELECT graphile_worker.remove_job(${`${run.id}:review:1`})`;
      await db.$transaction(async (tx) => {
        await tx.stageRun.updateMany({ where: { runId: run.id }, data: { status: "passed", finishedAt: new Date() } });
        await continueRun(tx, { runId: run.id, fromStage: "validation" });
      });
      return run.id;
    }
    /** Only the runners a test starts may claim its canary. */
    async function stopLiveRunners() {
      const live = runners.filter((r) => r.exitCode === null && r.signalCode === null);
      for (const runner of live) runner.kill("SIGTERM");
      await Promise.all(live.map((runner) => new Promise((resolve) => runner.once("exit", resolve))));
    }
    const deployment = (runId: string) => db.deployment.findFirst({ where: { runId, environment: "production" }, include: { steps: { orderBy: { id: "asc" } } } });
    const evaluations = async (runId: string) => (await deployment(runId))?.steps.filter((s) => s.kind === "evaluation").length ?? 0;

    beforeAll(async () => {
      repoId = (await db.repository.findUniqueOrThrow({ where: { name: "demo" } })).id;
    });

    it("resumes the canary from its stored samples, judging every interval exactly once", async () => {
      // 20 simulated seconds per second: the 10-minute canary takes 30 s.
      await stopLiveRunners();
      const runId = await atDeployment(20);
      const first = startRunner();
      await waitFor("two canary evaluations", async () => (await evaluations(runId)) >= 2, 60_000);
      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));

      startRunner();
      expect(await settled(runId, 90_000)).toMatchObject({ status: "done" });
      const finished = (await deployment(runId))!;
      expect(finished.status).toBe("promoted");
      const kinds = finished.steps.map((s) => s.kind);
      expect(kinds).toContain("resume");
      const intervals = finished.steps.filter((s) => s.kind === "evaluation").map((s) => (s.detail as { interval: { index: number } }).interval.index);
      expect(intervals).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }, 180_000);

    it("rolls back a canary left unattended for longer than the policy's duration", async () => {
      // 60 simulated seconds per second: the canary lasts 10 s; the runner stays dead for longer.
      await stopLiveRunners();
      const runId = await atDeployment(60);
      const first = startRunner();
      await waitFor("a canary evaluation", async () => (await evaluations(runId)) >= 1, 60_000);
      first.kill("SIGKILL");
      await new Promise((resolve) => first.once("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, 12_000));

      startRunner();
      expect(await settled(runId, 90_000)).toMatchObject({ status: "rolled_back" });
      const finished = (await deployment(runId))!;
      expect(finished).toMatchObject({ status: "rolled_back", trafficPercent: 0 });
      expect(finished.rollbackReason).toMatch(/unattended for \d+ s after a runner crash/);
    }, 180_000);
  });

  it("stops claiming and exits on SIGTERM", async () => {
    const live = runners.filter((r) => r.exitCode === null && r.signalCode === null);
    expect(live.length).toBeGreaterThan(0);
    for (const runner of live) runner.kill("SIGTERM");
    const codes = await Promise.all(live.map((runner) => new Promise((resolve) => runner.once("exit", (code) => resolve(code)))));
    expect(codes.every((code) => code === 0)).toBe(true);
    expect(await db.runnerHeartbeat.count()).toBe(0);
  });
});
