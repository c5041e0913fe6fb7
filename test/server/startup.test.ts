import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { findFreePort, runningInstanceDatabaseUrl } from "@/lib/db/embedded";
import { demoBranches } from "@/scripts/lib/demo-repository";
import { runScript, startFlowgate, testDataDir, type FlowgateProcess } from "../support/flowgate-process";

const started: FlowgateProcess[] = [];
afterAll(async () => {
  for (const app of started) await app.stop();
});

/** A system user of its own for the test (created once), as a platform engineer would run Flowgate. */
function ordinaryUser(name: string) {
  const id = (flag: string) => Number(execFileSync("id", [flag, name], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim());
  try {
    id("-u");
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
  }
  return { uid: id("-u"), gid: id("-g") };
}

/** Runs the start command expecting it to refuse; returns its stderr. */
async function startFailure(env: Record<string, string>) {
  const result = await runScript("start.ts", [], { PORT: String(await findFreePort()), FLOWGATE_DATA_DIR: testDataDir("refused"), ...env });
  expect(result.code).toBe(1);
  return result.stderr.trim();
}

function expectOneLine(stderr: string, pattern: RegExp) {
  const lines = stderr.split("\n").filter((l) => l.startsWith("flowgate:"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("npm start", () => {
  it("starts on an empty data directory, stops cleanly, and finds the same data on the next start", async () => {
    const dataDir = testDataDir("restart");
    const first = await startFlowgate({ dataDir });
    started.push(first);
    expect(first.output()).toContain("creating the embedded PostgreSQL cluster");
    expect(first.output()).toContain(`seeded 5 demo users and ${demoBranches.length} demo pull requests`);
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200);

    const created = await runScript("ctl.ts", ["user", "create", "--email", "kept@example.com", "--role", "manager"], { FLOWGATE_DATA_DIR: dataDir }, "a-long-password\n");
    expect(created.code, created.stderr).toBe(0);

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("stopped");
    // The embedded server was stopped too: its lock file is gone.
    expect(fs.existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, "flowgate.lock"))).toBe(false);

    const second = await startFlowgate({ dataDir });
    started.push(second);
    expect(second.output()).not.toContain("creating the embedded PostgreSQL cluster");
    expect(second.output()).toContain("demo data already present");
    const users = await runScript("ctl.ts", ["user", "list"], { FLOWGATE_DATA_DIR: dataDir });
    expect(users.stdout).toContain("kept@example.com\tmanager");
    expect(users.stdout.trim().split("\n")).toHaveLength(6);

    // A second Flowgate on the same data directory is refused while this one runs.
    const stderr = await startFailure({ FLOWGATE_DATA_DIR: dataDir });
    expectOneLine(stderr, /data directory .* is in use by another Flowgate \(pid \d+\)/);
    expect(await second.stop("SIGINT")).toBe(0);
  }, 180_000);

  it("runs as an ordinary user: its own PostgreSQL, and the demo's pull requests tested in the sandbox with the same outcomes", async () => {
    // As root, a user of its own is made for this; run by an ordinary user, the test is that user.
    const asUser = process.getuid?.() === 0 ? ordinaryUser("flowgate-ci") : undefined;
    const uid = asUser?.uid ?? process.getuid!();
    const dataDir = testDataDir("ordinary-user");
    fs.mkdirSync(dataDir, { recursive: true });
    if (asUser) fs.chownSync(dataDir, asUser.uid, asUser.gid);
    const app = await startFlowgate({ dataDir, asUser, env: { HOME: dataDir, LOG_LEVEL: "warn" } });
    started.push(app);
    // The embedded server runs as that user, not as a `postgres` user made by root.
    const postmaster = Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    expect(fs.statSync(`/proc/${postmaster}`).uid).toBe(uid);
    expect(fs.statSync(path.join(dataDir, "secrets.json")).mode & 0o777).toBe(0o600);

    const client = new pg.Client({ connectionString: runningInstanceDatabaseUrl(dataDir)! });
    await client.connect();
    try {
      let ends: Record<number, { status: string; stage: string }> = {};
      for (let waited = 0; waited < 150_000; waited += 1000) {
        const rows = (await client.query(`SELECT pr.number, r.status::text, r."currentStage"::text AS stage FROM "PipelineRun" r JOIN "PullRequest" pr ON pr.id = r."pullRequestId" WHERE NOT r.simulated`)).rows;
        ends = Object.fromEntries(rows.map((r) => [r.number, { status: r.status, stage: r.stage }]));
        if (rows.length === demoBranches.length && rows.every((r) => ["done", "escalated", "failed", "rolled_back"].includes(r.status))) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      expect(ends).toEqual(Object.fromEntries(demoBranches.map((b, i) => [i + 1, b.ends])));
      const [runner] = (await client.query(`SELECT sandbox FROM "RunnerHeartbeat"`)).rows;
      expect(runner.sandbox).toEqual({ mode: "bubblewrap", problem: null });
      const tested = (await client.query(`SELECT s.output FROM "StageRun" s JOIN "PipelineRun" r ON r.id = s."runId" WHERE s.stage = 'test' AND s.status = 'passed' AND NOT r.simulated LIMIT 1`)).rows[0];
      expect(tested.output.sandbox).toMatchObject({ mode: "bubblewrap", warning: null });
    } finally {
      await client.end();
    }
    expect(await app.stop("SIGTERM")).toBe(0);
  }, 240_000);

  it("uses an external PostgreSQL from DATABASE_URL, without demo accounts", async () => {
    const adminUrl = inject("postgresAdminUrl");
    const name = `external_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const app = await startFlowgate({
      env: { DATABASE_URL: adminUrl.replace(/\/postgres$/, `/${name}`), NEXTAUTH_SECRET: "s".repeat(40) },
    });
    started.push(app);
    expect(app.output()).not.toContain("embedded PostgreSQL");
    expect(app.output()).toContain("no users yet: create the first admin with `npm run ctl -- user create");
    const health = await (await fetch(`${app.url}/api/health`)).json();
    expect(health.migrations.current).toBe(true);
    expect(await app.stop()).toBe(0);
  }, 120_000);

  it("refuses a port that is taken, in one line", async () => {
    const blocker = net.createServer().listen(0);
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      expectOneLine(await startFailure({ PORT: String(port) }), new RegExp(`port ${port} is already in use; .*set PORT`));
    } finally {
      blocker.close();
    }
  });

  it.each([
    [{ DATABASE_URL: "mysql://root@localhost/db" }, /environment variable DATABASE_URL must look like postgresql:\/\//],
    [{ PORT: "not-a-port" }, /environment variable PORT /],
    [{ DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db" }, /environment variable NEXTAUTH_SECRET is required with an external DATABASE_URL/],
  ])("refuses a malformed or missing variable in one line (%o)", async (env, pattern) => {
    expectOneLine(await startFailure(env), pattern);
  });

  it("says plainly when the database cannot be reached", async () => {
    const port = await findFreePort();
    const stderr = await startFailure({ DATABASE_URL: `postgresql://u:p@127.0.0.1:${port}/flowgate`, NEXTAUTH_SECRET: "s".repeat(40) });
    expectOneLine(stderr, new RegExp(`cannot reach the database at 127\\.0\\.0\\.1:${port}/flowgate: connection refused`));
  });
});
