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
 * The queue's own connection pool, whose database can "go away" for it alone: its connections are
 * terminated and new ones refused (the port of a closed socket), as during a PostgreSQL restart.
 */
function queuePool(url: string) {
  const parsed = new URL(url);
  const port = Number(parsed.port);
  // Host and port as options, not a connection string (which would win over them): new clients read the port when they connect.
  const options = { host: parsed.hostname, port, user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password), database: parsed.pathname.slice(1), application_name: "queue-under-test", max: 4 };
  const pool = new pg.Pool(options);
  // Idle connections terminated between two runs of the queue (whose own handler comes and goes with it).
  pool.on("error", () => {});
  return {
    pool,
    async goAway(sql: TestDatabase["sql"]) {
      options.port = 1;
      await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'queue-under-test'`);
    },
    comeBack() {
      options.port = port;
    },
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
  let queueDb: ReturnType<typeof queuePool>;
  let heartbeat: RunnerHeartbeat;
  let queue: SupervisedQueue | undefined;
  const attempts: number[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    queueDb = queuePool(t.url);
    heartbeat = await startRunnerHeartbeat({ db: t.db, log: quiet, concurrency: 1, leaseSeconds: 3600 });
  });
  afterAll(async () => {
    await queue?.stop();
    await heartbeat?.stop();
    await queueDb?.pool.end();
    await t?.drop();
  });

  it("has its job released and retried, and the queue back at full strength", async () => {
    const start = (events: WorkerEvents): Promise<Runner> =>
      run({
        events,
        pgPool: queueDb.pool,
        concurrency: 1,
        noHandleSignals: true,
        pollInterval: 200,
        logger: queueLogger(quiet),
        taskList: {
          flaky: async (_payload, helpers) => {
            attempts.push(helpers.job.attempts);
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
    const [row] = await t.sql<{ workerIds: string[] }>(`SELECT "workerIds" FROM "RunnerHeartbeat" WHERE id = $1`, [heartbeat.runnerId]);
    expect(row.workerIds).not.toContain(deadWorker);
    expect(row.workerIds.length).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
