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
  /** Events to pass to graphile-worker's run(): each worker it creates is recorded in the heartbeat. */
  workerEvents(): WorkerEvents;
  /** The workers of a stopped run() no longer hold jobs; stop advertising them. */
  forgetWorkers(): void;
  stop(): Promise<void>;
}

/**
 * A runner's heartbeat row, refreshed every 2 s with its queue worker ids; each refresh also
 * releases the jobs of runners silent for `leaseSeconds` (the lease, see docs/decisions/005).
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
  const beat = async () => {
    await db.runnerHeartbeat.upsert({
      where: { id: runnerId },
      create: { id: runnerId, hostname: os.hostname(), pid: process.pid, concurrency: options.concurrency, workerIds, sandbox: options.sandbox },
      update: { lastSeenAt: new Date(), workerIds },
    });
    await releaseDeadRunners(db, log, options.leaseSeconds);
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
      return events;
    },
    forgetWorkers() {
      workerIds.length = 0;
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
