import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import os from "node:os";
import { Logger, type WorkerEvents } from "graphile-worker";
import type { Db } from "../../lib/db/client";
import type { Logger as AppLogger } from "../../lib/log";
import { releaseDeadRunners } from "./lease-sweeper";

const HEARTBEAT_INTERVAL_MS = 2000;

export interface RunnerHeartbeat {
  runnerId: string;
  /**
   * Events to pass to graphile-worker's run(): each worker it creates is recorded in the heartbeat,
   * and one that stops for good (below) has its job released.
   */
  workerEvents(): WorkerEvents;
  /** Resolves with the id of the next queue worker that stops for good. */
  nextWorkerDeath(): Promise<string>;
  /** The workers of a stopped run() no longer hold jobs; stop advertising them (not a dead one whose job is still to release). */
  forgetWorkers(): void;
  stop(): Promise<void>;
}

/**
 * A runner's heartbeat row, refreshed every 2 s with its queue worker ids; each refresh also
 * releases the jobs of runners silent for `leaseSeconds` (the lease, see docs/decisions/005).
 *
 * And the job of a worker of this runner that stopped for good: graphile-worker stops a worker
 * ("committing seppuku") when it cannot record its job's end, the database having gone away
 * between the job and its release. The job stays locked by that worker, which this live runner
 * still advertised, so no lease ever released it (graphile-worker's own lock timeout is 4 hours):
 * a run stuck "running", its canary at its weight. Found by the chaos soak's never-killed runner
 * (issue #19). Released here as soon as the database answers: the job has ended, only its record
 * did not, and the queue retries it.
 */
export async function startRunnerHeartbeat(options: {
  db: Db;
  log: AppLogger;
  concurrency: number;
  leaseSeconds: number;
  idPrefix?: string;
  /** How this runner runs pull-request code, for Settings. */
  sandbox?: { mode: string; problem: string | null };
}): Promise<RunnerHeartbeat> {
  const { db, log } = options;
  const runnerId = `${options.idPrefix ?? ""}${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const workerIds: string[] = [];
  const dead = new Set<string>();
  let deathListeners: ((workerId: string) => void)[] = [];
  // One release at a time: two beats at once (the one a death triggers and the timer's) both took
  // the same ids, and the second then removed a live worker from the list (found by the soak).
  let releasing: Promise<void> | null = null;
  const releaseDeadWorkers = async () => {
    if (dead.size === 0 && !releasing) return;
    await (releasing ??= (async () => {
      const ids = [...dead];
      await db.$executeRaw`SELECT graphile_worker.force_unlock_workers(${ids}::text[])`;
      for (const id of ids) dead.delete(id);
      const live = workerIds.filter((id) => !ids.includes(id));
      workerIds.length = 0;
      workerIds.push(...live);
      log.warn({ workerIds: ids }, "released the job of a queue worker that stopped when it could not record the job's end; the queue retries it");
    })().finally(() => {
      releasing = null;
    }));
  };
  const beat = async () => {
    await db.runnerHeartbeat.upsert({
      where: { id: runnerId },
      create: { id: runnerId, hostname: os.hostname(), pid: process.pid, concurrency: options.concurrency, workerIds, sandbox: options.sandbox },
      update: { lastSeenAt: new Date(), workerIds },
    });
    await releaseDeadRunners(db, log, options.leaseSeconds);
    await releaseDeadWorkers();
  };
  await beat();
  const timer = setInterval(() => {
    beat().catch((err) => log.warn({ err }, "heartbeat failed; retrying at the next interval"));
  }, HEARTBEAT_INTERVAL_MS);
  return {
    runnerId,
    workerEvents() {
      // Workers are created inside run(), so the listener must exist before run() is called.
      const events: WorkerEvents = new EventEmitter();
      events.on("worker:create", ({ worker }) => {
        workerIds.push(worker.workerId);
        void beat().catch(() => {});
      });
      events.on("worker:fatalError", ({ worker, error }) => {
        log.error({ workerId: worker.workerId, err: error }, "a queue worker stopped: it could not record its job's end");
        dead.add(worker.workerId);
        void beat().catch(() => {});
        const listeners = deathListeners;
        deathListeners = [];
        for (const listener of listeners) listener(worker.workerId);
      });
      return events;
    },
    nextWorkerDeath() {
      return new Promise((resolve) => deathListeners.push(resolve));
    },
    forgetWorkers() {
      const keep = workerIds.filter((id) => dead.has(id));
      workerIds.length = 0;
      workerIds.push(...keep);
    },
    async stop() {
      clearInterval(timer);
      await db.runnerHeartbeat.delete({ where: { id: runnerId } }).catch(() => {});
    },
  };
}

/** graphile-worker's log lines through our structured logger; its per-job info lines become debug. */
export function queueLogger(log: AppLogger): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const method = level === "error" ? "error" : level === "warning" ? "warn" : "debug";
    log[method]({ scope, ...meta }, message);
  });
}
