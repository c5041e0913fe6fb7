import pg from "pg";
import { run, type Runner, type WorkerEvents } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { superviseQueue, type SupervisedQueue } from "@/agents/engine/queue-supervisor";
import { queueLogger, startRunnerHeartbeat, type RunnerHeartbeat } from "@/agents/engine/runner-heartbeat";
import { untilDatabaseAnswers } from "@/lib/db/transient-error";
import { log } from "@/lib/log";
import { createTestDatabase, type TestDatabase } from "../support/database";

const quiet = log.child({ test: "queue-worker-death" });

/**
 * The queue's connection pools (a new one for each start, as graphile-worker makes its own from a
 * connection string), whose database can "go away" for them alone: their connections are
 * terminated and new ones refused (the port of a closed socket), as during a PostgreSQL restart.
 */
function queueDatabase(url: string) {
  const parsed = new URL(url);
  const port = Number(parsed.port);
  let away = false;
  const pools: pg.Pool[] = [];
  // Host and port as options, not a connection string (which would win over them): a pool's
  // clients read its `options.port` when they connect.
  const options = { host: parsed.hostname, port, user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password), database: parsed.pathname.slice(1), application_name: "queue-under-test", max: 4 };
  const setPort = (pool: pg.Pool) => ((pool as unknown as { options: { port: number } }).options.port = away ? 1 : port);
  return {
    newPool() {
      const pool = new pg.Pool(options);
      // Idle connections terminated while no run of the queue (whose handler comes and goes with it) listens.
      pool.on("error", () => {});
      setPort(pool);
      pools.push(pool);
      return pool;
    },
    async goAway(sql: TestDatabase["sql"]) {
      away = true;
      pools.forEach(setPort);
      await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'queue-under-test'`);
    },
    comeBack() {
      away = false;
      pools.forEach(setPort);
    },
    end: () => Promise.all(pools.map((pool) => pool.end().catch(() => {}))),
  };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Found by the chaos soak (issue #19) with a runner that is never killed: a job failed while the
 * database was away, and the queue worker could not record the failure either. graphile-worker
 * then stops that worker for good ("committing seppuku") and leaves its job locked by it; the
 * runner lived on and kept advertising the worker, so the lease never released the job: its run
 * stayed "running" with a canary at 5% for what would have been graphile-worker's 4-hour lock timeout.
 */
describe("a queue worker that cannot record its job's end", () => {
  let t: TestDatabase;
  let queueDb: ReturnType<typeof queueDatabase>;
  let heartbeat: RunnerHeartbeat;
  let queue: SupervisedQueue | undefined;
  const attempts: number[] = [];
  let retriedBy: string | null = null;
  let slowReleaseDone: Date | null = null;

  beforeAll(async () => {
    t = await createTestDatabase();
    queueDb = queueDatabase(t.url);
    // The release is slow (the database just came back): the heartbeat's timer beats again meanwhile.
    let releases = 0;
    const slowRelease = new Proxy(t.db, {
      get: (target, prop, receiver) =>
        prop === "$executeRaw"
          ? async (...args: Parameters<typeof target.$executeRaw>) => {
              if (releases++ > 0) return target.$executeRaw(...args);
              await new Promise((resolve) => setTimeout(resolve, 5000));
              const released = await target.$executeRaw(...args);
              slowReleaseDone = new Date();
              return released;
            }
          : (Reflect.get(target, prop, receiver) as unknown),
    });
    heartbeat = await startRunnerHeartbeat({ db: slowRelease, log: quiet, concurrency: 1, leaseSeconds: 3600 });
  });
  afterAll(async () => {
    await queue?.stop();
    await heartbeat?.stop();
    await queueDb?.end();
    await t?.drop();
  });

  it("has its job released and retried, and the queue back at full strength", async () => {
    const start = (events: WorkerEvents): Promise<Runner> =>
      run({
        events,
        pgPool: queueDb.newPool(),
        concurrency: 1,
        noHandleSignals: true,
        pollInterval: 200,
        logger: queueLogger(quiet),
        taskList: {
          flaky: async (_payload, helpers) => {
            attempts.push(helpers.job.attempts);
            retriedBy = helpers.job.locked_by;
            if (helpers.job.attempts === 1) {
              // The database goes away for the queue just as the job fails.
              await queueDb.goAway(t.sql);
              throw new Error("the stage failed while the database was away");
            }
          },
        },
      });
    // As the runner starts it: waiting while the database is away.
    queue = await superviseQueue({ heartbeat, log: quiet, start: (events) => untilDatabaseAnswers(() => start(events), { what: "job queue", onWait: () => {} }) });
    const died = heartbeat.nextWorkerDeath();
    await t.sql(`SELECT graphile_worker.add_job('flaky', '{}'::json)`);

    const deadWorker = await died;
    // The job is still locked by the stopped worker; then the database comes back.
    const [locked] = await t.sql<{ locked_by: string | null }>(`SELECT locked_by FROM graphile_worker.jobs`);
    expect(locked.locked_by).toBe(deadWorker);
    queueDb.comeBack();

    // Released by the heartbeat, run again by the restarted queue, and done.
    await until("the job to be retried and completed", async () => attempts.length === 2 && (await t.sql(`SELECT 1 FROM graphile_worker.jobs`)).length === 0);
    expect(attempts).toEqual([1, 2]);
    // Read after a beat that followed the slow release (which ran beside the timer's beat).
    const row = await until("a heartbeat after the slow release", async () => {
      const [found] = await t.sql<{ workerIds: string[]; lastSeenAt: Date }>(`SELECT "workerIds", "lastSeenAt" FROM "RunnerHeartbeat" WHERE id = $1`, [heartbeat.runnerId]);
      return slowReleaseDone !== null && found.lastSeenAt > slowReleaseDone && found;
    });
    // The heartbeat lists the restarted queue's worker (the one that ran the retry), so a lease
    // would release its jobs should this runner die; and no longer the stopped one.
    expect(row.workerIds).toEqual([retriedBy]);
  }, 60_000);
});
