import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db/client";
import { findFreePort, startEmbeddedPostgres, type EmbeddedDatabase } from "@/lib/db/embedded";
import { migrateDatabase } from "@/lib/db/migrations";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { cleanDiff } from "../support/diffs";
import { testDataDir } from "../support/flowgate-process";

const root = path.resolve(import.meta.dirname, "..", "..");
const actor = { type: "system", id: "test", label: "test" } as const;

/**
 * Found by the chaos soak (issue #19): a runner (re)started while PostgreSQL was restarting exited
 * at once ("runner crashed: Connection terminated unexpectedly"), and `npm start` stops everything
 * when its runner exits. It now waits for the database at start-up.
 */
describe("a runner started while the database is away", () => {
  let dataDir: string;
  let database: EmbeddedDatabase;
  let db: Db;
  let port: number;
  let runner: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = testDataDir("runner-start");
    port = await findFreePort();
    database = await startEmbeddedPostgres({ dataDir, port });
    await migrateDatabase(database.databaseUrl);
    db = createPrismaClient(database.databaseUrl);
    await ensureDefaultPolicy(db);
    await db.repository.create({ data: { name: "demo", kind: "local", location: "/nonexistent" } });
    await db.$disconnect();
  });

  afterAll(async () => {
    if (runner && runner.exitCode === null) runner.kill("SIGKILL");
    await db?.$disconnect();
    await database?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("waits for it instead of exiting, then works", async () => {
    await database.stop();
    let stderr = "";
    runner = spawn(process.execPath, ["--import", "tsx", path.join(root, "agents", "runner.ts")], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: database.databaseUrl, NEXTAUTH_SECRET: "s".repeat(40), FLOWGATE_DATA_DIR: dataDir, LOG_LEVEL: "warn", ANTHROPIC_API_KEY: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    runner.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => runner!.once("exit", resolve));
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r("alive"), 8000))]);
    expect(early, `the runner exited while the database was away:\n${stderr.slice(-2000)}`).toBe("alive");

    database = await startEmbeddedPostgres({ dataDir, port });
    const { run } = await submitRun(db, {
      actor,
      input: { repository: "demo", prNumber: 1, title: "t", author: "a@example.com", baseSha: "a".repeat(40), headSha: "b".repeat(40), diff: cleanDiff },
    });
    const deadline = Date.now() + 60_000;
    let status = "queued";
    while (Date.now() < deadline && (status === "queued" || status === "running")) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await db.pipelineRun.findUniqueOrThrow({ where: { id: run.id } })).status;
    }
    // The review passes; the repository has no test settings, so the test stage escalates.
    expect(status).toBe("escalated");
    expect(runner.exitCode).toBeNull();
  }, 120_000);
});
