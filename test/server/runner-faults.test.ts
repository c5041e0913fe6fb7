import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit/verify-audit-chain";
import { ensureDefaultPolicy } from "@/lib/db/bootstrap";
import { createPrismaClient, type Db } from "@/lib/db/client";
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded";
import { migrateDatabase } from "@/lib/db/migrations";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { cleanDiff as diff } from "../support/diffs";
import { startFakeAnthropic, type FakeAnthropic } from "../support/fake-anthropic";
import { testDataDir } from "../support/flowgate-process";

const root = path.resolve(import.meta.dirname, "..", "..");
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


async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

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
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "agents", "runner.ts")], {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: database.databaseUrl,
        NEXTAUTH_SECRET: "s".repeat(40),
        ANTHROPIC_API_KEY: "sk-ant-test-0000000000000000000000000000",
        ANTHROPIC_BASE_URL: fake.baseURL,
        FLOWGATE_LLM_MAX_RETRIES: "0",
        FLOWGATE_RUNNER_LEASE_SECONDS: "3",
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    runners.push(child);
    return child;
  }

  const submit = () =>
    submitRun(db, {
      actor,
      input: { repository: "demo", prNumber: prNumber++, title: "Format totals", author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${prNumber}`.padStart(40, "c"), diff },
    });

  const settled = (runId: string) => waitFor(`run ${runId} to settle`, async () => {
    const run = await db.pipelineRun.findUniqueOrThrow({ where: { id: runId } });
    return run.status !== "queued" && run.status !== "running" ? run : null;
  });

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
    expect(await db.auditEvent.count({ where: { runId: run.id, action: "stage.decided", payload: { path: ["stage"], equals: "review" } } })).toBe(1);
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

  it("stops claiming and exits on SIGTERM", async () => {
    const live = runners.filter((r) => r.exitCode === null && r.signalCode === null);
    expect(live.length).toBeGreaterThan(0);
    for (const runner of live) runner.kill("SIGTERM");
    const codes = await Promise.all(live.map((runner) => new Promise((resolve) => runner.once("exit", (code) => resolve(code)))));
    expect(codes.every((code) => code === 0)).toBe(true);
    expect(await db.runnerHeartbeat.count()).toBe(0);
  });
});
