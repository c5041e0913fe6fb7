/**
 * Chaos soak (issue #19): a real Flowgate (web server, runner processes, PostgreSQL) under a
 * steady stream of pull requests while runners and the web server are SIGKILLed, PostgreSQL is
 * restarted and database connections are cut through a TCP proxy; then, once everything has
 * settled, every invariant is checked and printed with its count. Exits 1 on any violation.
 *
 *   node --import tsx bench/chaos.ts                         # embedded PostgreSQL, 10 minutes
 *   CHAOS_MINUTES=2 node --import tsx bench/chaos.ts         # a short one while developing
 *   DATABASE_URL=postgresql://… CHAOS_PG_RESTART_COMMAND='pg_ctlcluster 15 main restart -m fast' node --import tsx bench/chaos.ts
 *
 * Settings: bench/chaos/config.ts. Not part of `npm test`; figures in bench/README.md.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import pg from "pg";
import { createApiToken } from "../lib/auth/api-tokens";
import { createPrismaClient } from "../lib/db/client";
import { findFreePort } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";
import { createChannel } from "../lib/notifications/channels";
import { ensureDefaultPolicy } from "../lib/policy/ensure-default-policy";
import { registerRepository } from "../lib/repositories/register-repository";
import { simulateHistory } from "../lib/simulation/simulate-history";
import { seedDemoUsers } from "../lib/users/demo-users";
import { createDemoRepository, demoDeploySettings, demoTestSettings } from "../scripts/lib/demo-repository";
import { testDataDir } from "../test/support/flowgate-process";
import { chaosConfig } from "./chaos/config";
import { startFaults } from "./chaos/faults";
import { checkInvariants } from "./chaos/invariants";
import { startMemorySampler } from "./chaos/memory";
import { embeddedSoakDatabase, externalSoakDatabase, runnerProcess, sandboxLeftovers, sandboxUserPids, waitForHealthy, webServerProcess, type ManagedProcess } from "./chaos/processes";
import { startChaosProxy } from "./chaos/proxy";
import { startWorkload } from "./chaos/workload";

const root = path.resolve(import.meta.dirname, "..");
const actor = { type: "system", id: "chaos", label: "chaos soak" } as const;
const SANDBOX_USER = "flowgate-sandbox";
const started = Date.now();
const say = (line: string) => process.stdout.write(`[chaos ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Receives the rollback notifications (a generic webhook channel), answering 200. */
async function startNotificationReceiver() {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      received++;
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, received: () => received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function main() {
  const config = chaosConfig();
  const durationMs = config.CHAOS_MINUTES * 60_000;
  const dataDir = testDataDir("chaos");
  const logDir = path.join(dataDir, "logs");
  // Outside the data directory, as FLOWGATE_WORKSPACE_DIR must be.
  const workspaceRoot = `${dataDir}-workspaces`;
  fs.mkdirSync(logDir, { recursive: true });
  const webRoot = path.resolve(config.CHAOS_WEB_ROOT ?? root);
  if (!fs.existsSync(path.join(webRoot, ".next", "BUILD_ID"))) throw new Error(`no production build in ${webRoot}/.next: run \`npm run build\` there (or set CHAOS_WEB_ROOT)`);

  say(`soak of ${config.CHAOS_MINUTES} min on ${config.DATABASE_URL ? "an external PostgreSQL" : "the embedded PostgreSQL"}; data and logs in ${dataDir}`);
  const database = config.DATABASE_URL ? await externalSoakDatabase(config.DATABASE_URL, config.CHAOS_PG_RESTART_COMMAND!) : await embeddedSoakDatabase(path.join(dataDir, "embedded"));
  await migrateDatabase(database.url);
  const db = createPrismaClient(database.url);
  const sql = new pg.Pool({ connectionString: database.url, max: 3 });
  // The harness's own connections see the restarts too; a failed query of a check is retried by the check.
  sql.on("error", () => {});

  await ensureDefaultPolicy(db);
  await seedDemoUsers(db);
  const user = (email: string) => db.user.findUniqueOrThrow({ where: { email } });
  const token = async (email: string, scopes: ("runs:read" | "runs:write" | "escalations:read" | "escalations:decide")[]) =>
    (await createApiToken(db, { userId: (await user(email)).id, input: { name: `chaos ${email}`, scopes }, actor })).token;
  // runs:read too: the canary superseder reads the board for runs at their deployment stage.
  const submitter = { name: "submitter", token: await token("admin@flowgate.local", ["runs:write", "runs:read"]) };
  const deciders = await Promise.all(
    ["reviewer@flowgate.local", "reviewer2@flowgate.local", "admin@flowgate.local"].map(async (email) => ({ name: email, token: await token(email, ["escalations:read", "escalations:decide"]) })),
  );
  const repoPath = path.join(dataDir, "demo-shop");
  await createDemoRepository(repoPath);
  await registerRepository(db, { input: { name: "demo-shop", path: repoPath, defaultBranch: "main", test: demoTestSettings, deploy: demoDeploySettings }, actor });
  const receiver = await startNotificationReceiver();
  await createChannel(db, { input: { name: "chaos rollbacks", kind: "webhook", url: receiver.url, events: ["deployment.rolled_back"] }, actor });
  // Settled days for the metrics rollup to roll up while the soak runs (the check compares it with the live query).
  const history = await simulateHistory(db, { days: 14, prsPerDay: 8, seed: 19, actor });
  say(`seeded: demo users, tokens, demo-shop, a rollback channel, ${history.runs} simulated runs over 14 days`);

  const proxy = await startChaosProxy({ targetPort: () => database.port, targetHost: database.host });
  const viaProxy = new URL(database.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const port = await findFreePort();
  const webUrl = `http://127.0.0.1:${port}`;
  const anchorFile = path.join(dataDir, "anchors.jsonl");
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env, // the children run in this process's environment, with these set for them
    DATABASE_URL: viaProxy.toString(),
    NEXTAUTH_SECRET: "chaos-soak-secret-".padEnd(48, "x"),
    NEXTAUTH_URL: webUrl,
    FLOWGATE_DATA_DIR: dataDir,
    FLOWGATE_WORKSPACE_DIR: workspaceRoot,
    FLOWGATE_RUNNER_LEASE_SECONDS: String(config.CHAOS_LEASE_SECONDS),
    FLOWGATE_AUDIT_ANCHOR_FILE: anchorFile,
    FLOWGATE_AUDIT_ANCHOR_SECONDS: "10",
    LOG_LEVEL: "warn",
  };
  delete childEnv.ANTHROPIC_API_KEY; // heuristic agents: the demo's outcomes are the heuristic's
  const sandboxBaseline = await sandboxUserPids(SANDBOX_USER);

  const web = webServerProcess(webRoot, port, childEnv, logDir);
  web.start();
  await waitForHealthy(webUrl, 120_000);
  const runners: ManagedProcess[] = Array.from({ length: config.CHAOS_RUNNERS }, (_, i) => runnerProcess(i + 1, childEnv, logDir));
  for (const runner of runners) runner.start();
  say(`web server on ${webUrl} (from ${webRoot}), ${runners.length} runners, database through the proxy on port ${proxy.port}`);

  const soakStart = Date.now();
  // The first runner is the memory witness: never SIGKILLed, it lives through the whole soak.
  const [witness, ...killableRunners] = runners;
  const memory = startMemorySampler(() => [web, ...runners], witness, soakStart);
  const workload = startWorkload({ baseUrl: webUrl, repository: "demo-shop", submitter, deciders, submitEveryMs: config.CHAOS_SUBMIT_SECONDS * 1000, supersedeShare: config.CHAOS_SUPERSEDE_SHARE, canarySupersedeShare: config.CHAOS_CANARY_SUPERSEDE_SHARE, log: say });
  const faults = startFaults({
    durationMs,
    killableRunners,
    web,
    webUrl,
    database,
    proxy,
    targets: { runnerKills: config.CHAOS_RUNNER_KILLS, webKills: config.CHAOS_WEB_KILLS, dbRestarts: config.CHAOS_DB_RESTARTS, cuts: config.CHAOS_CONNECTION_CUTS },
    log: say,
  });

  const runStatuses = async () => {
    const ids = workload.record.submissions.map((s) => s.runId);
    const counts = await sql
      .query<{ status: string; n: number }>(`SELECT status::text, count(*)::int AS n FROM "PipelineRun" WHERE id = ANY($1) GROUP BY 1 ORDER BY 2 DESC`, [ids])
      .then((r) => r.rows)
      .catch(() => null);
    return counts;
  };
  const progress = setInterval(() => {
    void runStatuses().then((counts) => {
      const c = faults.counts;
      say(
        `runs ${workload.record.submissions.length} submitted (${counts ? counts.map((r) => `${r.status} ${r.n}`).join(", ") : "database unreachable"}); ` +
          `kills: runner ${c.runnerKills}, web ${c.webKills}; db restarts ${c.dbRestarts}; cuts ${c.drops + c.stalls + c.halfOpens} (drop ${c.drops}, stall ${c.stalls}, half-open ${c.halfOpens}; ${c.connectionsHit} connections hit); escalations raced ${workload.record.decisions.size}`,
      );
    });
  }, 20_000);

  await sleep(durationMs);
  say("faults stop; submissions stop");
  await faults.stop();
  await workload.stopSubmitting();
  const soakMs = Date.now() - soakStart;
  memory.stop();

  // Quiescence: every submitted run ended or waits for a person who has already been raced.
  const quiesceBy = Date.now() + config.CHAOS_QUIESCE_MINUTES * 60_000;
  for (;;) {
    const ids = workload.record.submissions.map((s) => s.runId);
    const [{ active, open }] = (
      await sql.query<{ active: number; open: number }>(
        `SELECT (SELECT count(*)::int FROM "PipelineRun" WHERE id = ANY($1) AND status IN ('queued', 'running')) AS active,
                (SELECT count(*)::int FROM "Escalation" WHERE "runId" = ANY($1) AND status = 'open') AS open`,
        [ids],
      )
    ).rows;
    if (active === 0 && open === 0) break;
    if (Date.now() > quiesceBy) {
      say(`not quiet after ${config.CHAOS_QUIESCE_MINUTES} min: ${active} runs active, ${open} escalations open; checking anyway`);
      break;
    }
    say(`waiting for quiescence: ${active} runs active, ${open} escalations open`);
    await sleep(5000);
  }
  await workload.stopDeciding();
  clearInterval(progress);
  // Rollback notifications are delivered by the runners' queue; give the last ones a moment.
  await sleep(3000);

  // Stop everything as an operator would, then start one runner as a restart would: its start-up
  // sweep is what removes workspaces of stages killed mid-way, and must leave none.
  for (const runner of runners) await runner.stop();
  const sweeper = runnerProcess(0, childEnv, logDir);
  sweeper.start();
  await sleep(15_000);
  await sweeper.stop();
  await web.stop();
  const leftovers = await sandboxLeftovers(workspaceRoot, SANDBOX_USER, sandboxBaseline);

  say("checking invariants");
  const results = await checkInvariants({ db, sql, record: workload.record, anchorFile, workspaceRoot, sandboxLeftovers: leftovers, memory: memory.verdict(soakMs), crashes: [web, ...runners, sweeper].flatMap((p) => p.crashes) });
  const c = faults.counts;
  const violations = results.reduce((n, r) => n + r.violations.length, 0);
  const lines = [
    `chaos soak: ${(soakMs / 60_000).toFixed(1)} min of faults on ${config.DATABASE_URL ? "external" : "embedded"} PostgreSQL, ${runners.length} runners`,
    `faults: ${c.runnerKills} runner SIGKILLs, ${c.webKills} web server SIGKILLs, ${c.dbRestarts} PostgreSQL restarts, ${c.drops + c.stalls + c.halfOpens} connection cuts (${c.drops} drops, ${c.stalls} stalls, ${c.halfOpens} half-open; ${c.connectionsHit} connections hit)`,
    `load: ${workload.record.submissions.length} pull requests accepted (${workload.record.submissions.filter((s) => s.supersededLater).length} superseded by a new head, ${workload.record.submissions.filter((s) => s.supersededAtDeployment).length} of them at their deployment stage), ${workload.record.decisions.size} escalations raced, ${workload.record.retries} client retries, ${workload.record.unanswered} calls never answered, ${receiver.received()} rollback notifications received`,
    ...results.map((r) => `${r.violations.length === 0 ? "PASS" : "FAIL"}  ${r.name}: ${r.counted}; violations ${r.violations.length}${r.violations.length ? `\n        ${r.violations.slice(0, 10).join("\n        ")}` : ""}`),
    `violations: ${violations}`,
  ];
  for (const line of lines) say(line);
  fs.writeFileSync(path.join(dataDir, "report.txt"), `${lines.join("\n")}\n`);

  await db.$disconnect();
  await sql.end();
  await proxy.close();
  await receiver.close();
  const keep = violations > 0 || config.CHAOS_KEEP === "1";
  await database.close(keep);
  if (!keep) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(workspaceRoot, { recursive: true, force: true });
  } else {
    say(`kept ${dataDir} (logs in logs/, report.txt)${config.DATABASE_URL ? ` and the database ${new URL(database.url).pathname.slice(1)}` : ""}`);
  }
  process.exit(violations === 0 ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`chaos: ${(err as Error).stack ?? err}\n`);
  process.exit(2);
});
