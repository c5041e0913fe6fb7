/**
 * The pipeline engine's own overhead, with stub agents that answer at once (bench/engine-runner.ts):
 * runs per second through review → test with 1, 2 and 4 runner processes, and the time from the
 * commit of one stage to the start of the next, next to the floor of a bare single-row INSERT
 * transaction on the same database. Prints figures; asserts nothing.
 * Run with `node --import tsx bench/engine.ts`. Uses its own embedded PostgreSQL under .test-data/.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { ensureDefaultPolicy } from "../lib/policy/ensure-default-policy";
import { createPrismaClient, type Db } from "../lib/db/client";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";
import { registerRepository } from "../lib/repositories/register-repository";
import { submitRun } from "../lib/runs/submit-run";
import { createDemoRepository } from "../scripts/lib/demo-repository";
import type { BenchMessage, RunnerMessage } from "./engine-runner";

const root = path.resolve(import.meta.dirname, "..");
const RUNNER_COUNTS = [1, 2, 4];
const CONCURRENCY = 2;
/** Runs each runner process works through before measuring, so its code is warm (JIT, ORM). */
const WARMUP_RUNS_PER_RUNNER = 30;
/** Runs queued before the runners start, to measure throughput at saturation. */
const BACKLOG_RUNS = 300;
/** Runs submitted one by one at a steady pace, to measure transition latency without a queue. */
const PACED_RUNS = 200;
/** The paced load as a share of the round's measured throughput. */
const PACED_LOAD = 0.5;
const FLOOR_ITERATIONS = 1000;
const TARGET_P99_MS = 20;
const ROUND_TIMEOUT_MS = 120_000;
/** Above this share of the machine used by other processes, a round's figures are flagged. */
const OTHERS_WARNING = 0.05;

const actor = { type: "system", id: "bench", label: "engine benchmark" } as const;

// A tiny valid change; the stub agents never read it, intake still parses it.
const diff = `diff --git a/src/format.ts b/src/format.ts
new file mode 100644
--- /dev/null
+++ b/src/format.ts
@@ -0,0 +1,3 @@
+export function formatTotal(cents: number): string {
+  return (cents / 100).toFixed(2);
+}
`;

interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

interface RoundResult {
  runners: number;
  runsPerSecond: number;
  cpu: CpuUse;
  /** Share of the machine other processes used over the whole round. */
  othersInRound: number;
  transition: Latency;
  commitToStart: Latency;
}

interface CpuUse {
  runnerMsPerRun: number;
  postgresMsPerRun: number;
  machineBusy: number;
  /** Share of the machine used by processes other than ours: anything above a few % disturbs the figures. */
  others: number;
}

interface RunnerHandle {
  child: ChildProcess;
  output: () => string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

function percentile(sorted: number[], p: number): number {
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1)! };
}

/** Everything started so far, stopped in reverse order at the end, on success, failure or Ctrl-C. */
const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp() {
  while (cleanups.length > 0) {
    await Promise.resolve(cleanups.pop()!()).catch((err) => process.stderr.write(`cleanup: ${(err as Error).message}\n`));
  }
}

/**
 * Commit timestamps let the report split a transition at the real commit of the recording
 * transaction (pg_xact_commit_timestamp). The setting is off by default and needs a restart.
 */
async function enableCommitTimestamps(database: EmbeddedDatabase, dataDir: string): Promise<EmbeddedDatabase> {
  const client = new pg.Client({ connectionString: database.databaseUrl });
  await client.connect();
  await client.query("ALTER SYSTEM SET track_commit_timestamp = on");
  await client.end();
  await database.stop();
  return startEmbeddedPostgres({ dataDir, port: database.port });
}

async function prepareDatabase() {
  const dataDir = path.join(root, ".test-data", `bench-engine-${process.pid}-${Date.now()}`);
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  say("starting embedded PostgreSQL and migrating...");
  let database = await startEmbeddedPostgres({ dataDir });
  cleanups.push(() => database.stop());
  database = await enableCommitTimestamps(database, dataDir);
  await migrateDatabase(database.databaseUrl);
  const db = createPrismaClient(database.databaseUrl);
  cleanups.push(() => db.$disconnect());
  await ensureDefaultPolicy(db);
  const repo = path.join(dataDir, "repo");
  await createDemoRepository(repo);
  await registerRepository(db, { input: { name: "bench", path: repo }, actor });
  return { database, db, postmasterPid: () => Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]) };
}

/**
 * The floor: what one durable commit costs on this database, with nothing of ours around it.
 * A logged table, not a temporary one, so the commit waits for the WAL flush like the engine's do.
 */
async function measureFloor(databaseUrl: string): Promise<Latency & { version: string }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
    await client.query("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
    const samples: number[] = [];
    for (let i = 0; i < FLOOR_ITERATIONS; i++) {
      const began = performance.now();
      await client.query("BEGIN");
      await client.query("INSERT INTO bench_floor DEFAULT VALUES");
      await client.query("COMMIT");
      samples.push(performance.now() - began);
    }
    await client.query("DROP TABLE bench_floor");
    return { ...summarize(samples), version: rows[0].server_version.split(" ")[0] };
  } finally {
    await client.end();
  }
}

/** Every runner ever started, so none outlives the benchmark whatever fails. */
const spawned: RunnerHandle[] = [];
const stopAllRunners = () => Promise.all(spawned.map(stopRunner)).then(() => {});

function startRunner(databaseUrl: string): Promise<RunnerHandle> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "engine-runner.ts")], {
    cwd: root,
    // The runner logs at info like a production runner does; its lines are kept only for errors.
    env: { ...process.env, DATABASE_URL: databaseUrl, RUNNER_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let tail = "";
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const handle = { child, output: () => tail };
  spawned.push(handle);
  return nextMessage(handle, "ready").then(() => handle);
}

function nextMessage(runner: RunnerHandle, type: RunnerMessage["type"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: RunnerMessage) => {
      if (message.type !== type) return;
      runner.child.off("message", onMessage);
      runner.child.off("exit", onExit);
      resolve();
    };
    const onExit = (code: number | null) => reject(new Error(`runner exited (${code}) while the benchmark waited for "${type}":\n${runner.output()}`));
    runner.child.on("message", onMessage);
    runner.child.once("exit", onExit);
  });
}

function release(runners: RunnerHandle[]) {
  for (const runner of runners) runner.child.send({ type: "go" } satisfies BenchMessage);
}

/** Stops every runner's workers (in-flight jobs finish) and keeps the processes, warm, for later. */
async function pause(runners: RunnerHandle[]) {
  const paused = runners.map((runner) => nextMessage(runner, "paused"));
  for (const runner of runners) runner.child.send({ type: "pause" } satisfies BenchMessage);
  await Promise.all(paused);
}

async function stopRunner(runner: RunnerHandle) {
  if (runner.child.exitCode !== null || runner.child.signalCode !== null) return;
  const exited = new Promise((resolve) => runner.child.once("exit", resolve));
  runner.child.kill("SIGTERM");
  const forced = setTimeout(() => runner.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(forced);
}

let nextPr = 1;
function submitOne(db: Db) {
  const number = nextPr++;
  return submitRun(db, {
    actor,
    input: {
      repository: "bench",
      prNumber: number,
      title: `Bench change ${number}`,
      author: "bench@flowgate.local",
      baseSha: "a".repeat(40),
      headSha: number.toString(16).padStart(40, "b"),
      diff,
    },
  });
}

/** Queues `count` runs with a few submitters in parallel (intake is not what is measured here). */
async function submitBacklog(db: Db, count: number): Promise<string[]> {
  const ids: string[] = [];
  const submitter = async () => {
    while (ids.length < count) {
      const slot = ids.push("") - 1;
      ids[slot] = (await submitOne(db)).run.id;
    }
  };
  await Promise.all([submitter(), submitter(), submitter(), submitter()]);
  return ids;
}

/**
 * Submits runs one at a time at a steady rate, like pull requests arriving; a submission that
 * falls behind is followed at once by the next (open loop), so the load is not self-limiting.
 */
async function submitPaced(db: Db, count: number, perSecond: number): Promise<string[]> {
  const ids: string[] = [];
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    const due = began + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    ids.push((await submitOne(db)).run.id);
  }
  return ids;
}

/** Polls until every run has ended at test (the stub fails it there); fails fast if a run ends elsewhere or a runner dies. */
async function waitUntilEnded(db: Db, ids: string[], runners: RunnerHandle[], label: string) {
  const deadline = Date.now() + ROUND_TIMEOUT_MS;
  let reported = -1;
  while (Date.now() < deadline) {
    const counts = await db.pipelineRun.groupBy({ by: ["status"], where: { id: { in: ids } }, _count: true });
    const count = (status: string) => counts.find((c) => c.status === status)?._count ?? 0;
    const done = count("failed");
    const stray = ids.length - done - count("queued") - count("running");
    if (stray > 0) throw new Error(`${stray} runs ended neither failed at test nor active: ${JSON.stringify(counts)}`);
    const dead = runners.find((r) => r.child.exitCode !== null || r.child.signalCode !== null);
    if (dead) throw new Error(`a runner exited (${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output()}`);
    if (done !== reported) {
      say(`  ${label}: ${done}/${ids.length} runs done`);
      reported = done;
    }
    if (done === ids.length) return;
    await sleep(1000);
  }
  throw new Error(`${label}: runs did not finish within ${ROUND_TIMEOUT_MS / 1000} s`);
}

/**
 * The review and test attempts of the given runs as epoch milliseconds. startedAt and finishedAt
 * are JavaScript Dates the engine stores in UTC (millisecond resolution); reviewCommitted is when
 * the transaction that recorded the review (and enqueued the test job) committed, which is the
 * transaction that last wrote the review's row.
 */
async function stageTimes(db: Db, ids: string[]) {
  return db.$queryRaw<{ reviewStarted: number; reviewFinished: number; reviewCommitted: number; testStarted: number; testFinished: number }[]>`
    SELECT extract(epoch FROM r."startedAt" AT TIME ZONE 'UTC')::float8 * 1000 AS "reviewStarted",
           extract(epoch FROM r."finishedAt" AT TIME ZONE 'UTC')::float8 * 1000 AS "reviewFinished",
           extract(epoch FROM pg_xact_commit_timestamp(r.xmin))::float8 * 1000 AS "reviewCommitted",
           extract(epoch FROM t."startedAt" AT TIME ZONE 'UTC')::float8 * 1000 AS "testStarted",
           extract(epoch FROM t."finishedAt" AT TIME ZONE 'UTC')::float8 * 1000 AS "testFinished"
      FROM "StageRun" r JOIN "StageRun" t ON t."runId" = r."runId" AND t.stage = 'test' AND t.attempt = 1
     WHERE r.stage = 'review' AND r.attempt = 1 AND r."runId" = ANY(${ids}::text[])`;
}

/** Runs through review → test per second: first review start to last test finish. */
async function throughput(db: Db, ids: string[]) {
  const times = await stageTimes(db, ids);
  const first = Math.min(...times.map((t) => t.reviewStarted));
  const last = Math.max(...times.map((t) => t.testFinished));
  return ids.length / ((last - first) / 1000);
}

/**
 * Review's finishedAt to test's startedAt. finishedAt is taken inside the recording transaction,
 * which then writes the decision, the audit event, the run and the next job, and commits; the
 * test's startedAt after the queue's NOTIFY wake-up, the claim and the engine's read of the run.
 * `commitToStart` is the part after the commit.
 */
async function transitionLatency(db: Db, ids: string[]) {
  const times = await stageTimes(db, ids);
  return {
    transition: summarize(times.map((t) => t.testStarted - t.reviewFinished)),
    commitToStart: summarize(times.map((t) => t.testStarted - t.reviewCommitted)),
  };
}

// /proc reports CPU time in clock ticks; USER_HZ is 100 on Linux whatever the kernel's HZ.
const MS_PER_TICK = 10;

/** CPU time of a process in ms (Linux /proc), optionally with its exited, waited-for children. */
function processCpuMs(pid: number, withExitedChildren = false): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which may contain spaces: [0] is field 3 (state) of proc(5).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const own = fields[11] + fields[12];
  return (withExitedChildren ? own + fields[13] + fields[14] : own) * MS_PER_TICK;
}

/** The server's CPU: the postmaster, its live processes, and the backends that have exited. */
function postgresCpuMs(postmasterPid: number): number {
  let total = processCpuMs(postmasterPid, true);
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmasterPid) total += processCpuMs(Number(entry));
    } catch {
      // The process exited between the listing and the read; its time is in the postmaster's.
    }
  }
  return total;
}

/** Busy and total CPU time of the whole machine, in ticks, from /proc/stat. */
function machineTicks() {
  const [, ...values] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = ticks[3] + ticks[4];
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Where the CPU goes while the runners work: they, the database and this process share the same
 * cores, and anything else running on the machine shows up as `others`.
 */
function cpuMeter(runners: RunnerHandle[], postmasterPid: number) {
  const sample = () => {
    const { user, system } = process.cpuUsage();
    return {
      runners: runners.reduce((sum, r) => sum + processCpuMs(r.child.pid!), 0),
      postgres: postgresCpuMs(postmasterPid),
      bench: (user + system) / 1000,
      machine: machineTicks(),
    };
  };
  const before = sample();
  return (runs: number): CpuUse => {
    const after = sample();
    const runnersMs = after.runners - before.runners;
    const postgresMs = after.postgres - before.postgres;
    const busyMs = (after.machine.busy - before.machine.busy) * MS_PER_TICK;
    const totalMs = (after.machine.total - before.machine.total) * MS_PER_TICK;
    const oursMs = runnersMs + postgresMs + (after.bench - before.bench);
    return {
      runnerMsPerRun: runnersMs / runs,
      postgresMsPerRun: postgresMs / runs,
      machineBusy: busyMs / totalMs,
      others: Math.max(0, busyMs - oursMs) / totalMs,
    };
  };
}

/**
 * One round with `count` runner processes, in three steps:
 * - Warm-up: each process first works through a few runs, unmeasured. Runners are long-lived; a
 *   fresh process spends its first seconds compiling (V8, the ORM's query compiler), a fixed cost
 *   that would otherwise weigh more the more runners share the same backlog.
 * - Throughput: with the runners paused, a backlog is queued, then all runners are released
 *   together. Submitting while the runners work would measure the submitter's pace, and starting
 *   runners one after another would let the first run alone.
 * - Latency: with a backlog every test job queues behind the review jobs still waiting, so the
 *   "transition" would be queue position, not overhead. Runs are therefore submitted at a steady
 *   pace at PACED_LOAD of the throughput just measured, and the transition measured on those.
 */
async function round(db: Db, databaseUrl: string, postmasterPid: number, count: number): Promise<RoundResult> {
  say(`round: ${count} runner${count === 1 ? "" : "s"} × concurrency ${CONCURRENCY}`);
  const runners = await Promise.all(Array.from({ length: count }, () => startRunner(databaseUrl)));
  try {
    const wholeRound = cpuMeter(runners, postmasterPid);
    const warmUp = await submitBacklog(db, WARMUP_RUNS_PER_RUNNER * count);
    release(runners);
    await waitUntilEnded(db, warmUp, runners, "warm-up");
    await pause(runners);

    say(`  queueing ${BACKLOG_RUNS} runs while the runners are paused...`);
    const backlog = await submitBacklog(db, BACKLOG_RUNS);
    const cpuUntil = cpuMeter(runners, postmasterPid);
    release(runners);
    await waitUntilEnded(db, backlog, runners, "backlog");
    const cpu = cpuUntil(backlog.length);
    const runsPerSecond = await throughput(db, backlog);
    say(`  ${runsPerSecond.toFixed(1)} runs/s at saturation, machine ${(cpu.machineBusy * 100).toFixed(0)}% busy`);

    const pace = runsPerSecond * PACED_LOAD;
    say(`  submitting ${PACED_RUNS} runs at ${pace.toFixed(1)}/s (${PACED_LOAD * 100}% load) for the transition latency...`);
    const paced = await submitPaced(db, PACED_RUNS, pace);
    await waitUntilEnded(db, paced, runners, "paced");
    const othersInRound = wholeRound(1).others;
    if (othersInRound > OTHERS_WARNING) say(`  warning: other processes used ${(othersInRound * 100).toFixed(0)}% of the machine during this round`);
    return { runners: count, runsPerSecond, cpu, othersInRound, ...(await transitionLatency(db, paced)) };
  } finally {
    await Promise.all(runners.map(stopRunner));
  }
}

function report(floor: Latency & { version: string }, results: RoundResult[]) {
  const row = (cells: string[], widths: number[]) => say(cells.map((c, i) => c.padEnd(widths[i])).join("").trimEnd());
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const base = results[0].runsPerSecond;
  say("");
  say(`engine overhead (stub agents, embedded PostgreSQL ${floor.version}, ${os.cpus().length} cores)`);
  say(`floor: single-row INSERT transaction  p50 ${floor.p50.toFixed(2)} ms  p99 ${floor.p99.toFixed(2)} ms  max ${floor.max.toFixed(2)} ms  (${FLOOR_ITERATIONS} runs)`);
  say("");
  say(`throughput: ${BACKLOG_RUNS} queued runs, review → test; CPU time per run while they ran`);
  const throughputWidths = [9, 9, 7, 14, 11, 14, 30];
  const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
  row(["runners", "runs/s", "×1", "CPU runners", "postgres", "machine busy", "of which others (whole round)"], throughputWidths);
  for (const r of results) {
    row(
      [
        String(r.runners),
        r.runsPerSecond.toFixed(1),
        (r.runsPerSecond / base).toFixed(2),
        ms(r.cpu.runnerMsPerRun),
        ms(r.cpu.postgresMsPerRun),
        percent(r.cpu.machineBusy),
        `${percent(r.cpu.others)} (${percent(r.othersInRound)})`,
      ],
      throughputWidths,
    );
  }
  say("");
  say(`transition review → test: ${PACED_RUNS} runs paced at ${PACED_LOAD * 100}% of that throughput (finishedAt → startedAt; of which commit → startedAt)`);
  const latencyWidths = [9, 10, 10, 10, 10, 18, 10, 10];
  row(["runners", "p50", "p95", "p99", "max", "commit→start p50", "p99", `p99 < ${TARGET_P99_MS} ms`], latencyWidths);
  for (const r of results) {
    const t = r.transition;
    row(
      [String(r.runners), ms(t.p50), ms(t.p95), ms(t.p99), ms(t.max), ms(r.commitToStart.p50), ms(r.commitToStart.p99), t.p99 < TARGET_P99_MS ? "PASS" : "MISS"],
      latencyWidths,
    );
  }
}

async function main() {
  const { database, db, postmasterPid } = await prepareDatabase();
  // Runners stop before the database does (cleanups run in reverse).
  cleanups.push(stopAllRunners);
  say(`measuring the floor (${FLOOR_ITERATIONS} single-row INSERT transactions)...`);
  const floor = await measureFloor(database.databaseUrl);
  const results: RoundResult[] = [];
  for (const count of RUNNER_COUNTS) results.push(await round(db, database.databaseUrl, postmasterPid(), count));
  report(floor, results);
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`\n${signal}: stopping runners and the database...`);
    void cleanUp().finally(() => process.exit(130));
  });
}

const began = performance.now();
try {
  await main();
  say(`\ntotal ${((performance.now() - began) / 1000).toFixed(0)} s`);
} catch (err) {
  // Interrupted, the round fails as its database goes away; the cleanup is already under way.
  if (!interrupted) process.stderr.write(`engine benchmark failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
