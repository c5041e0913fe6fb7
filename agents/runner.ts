import os from "node:os";
import { randomUUID } from "node:crypto";
import { Logger, run, type Runner } from "graphile-worker";
import { createPrismaClient } from "../lib/db/client";
import { env } from "../lib/env";
import { taskList } from "../lib/jobs/catalog";
import { log as rootLog } from "../lib/log";
import { StartupError } from "../lib/startup-error";

const HEARTBEAT_INTERVAL_MS = 5000;

const log = rootLog.child({ component: "runner" });

// graphile-worker's own log lines go through the same structured logger.
const workerLogger = new Logger((scope) => (level, message, meta) => {
  const method = level === "error" ? "error" : level === "warning" ? "warn" : level === "debug" ? "debug" : "info";
  log[method]({ scope, ...meta }, message);
});

async function main() {
  const config = env();
  const db = createPrismaClient(config.DATABASE_URL);
  const runnerId = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const beat = () =>
    db.runnerHeartbeat.upsert({
      where: { id: runnerId },
      create: { id: runnerId, hostname: os.hostname(), pid: process.pid, concurrency: config.RUNNER_CONCURRENCY },
      update: { lastSeenAt: new Date() },
    });
  await beat();
  const heartbeat = setInterval(() => {
    beat().catch((err) => log.warn({ err }, "heartbeat failed; retrying at the next interval"));
  }, HEARTBEAT_INTERVAL_MS);

  const runner: Runner = await run({
    connectionString: config.DATABASE_URL,
    concurrency: config.RUNNER_CONCURRENCY,
    taskList: taskList(),
    logger: workerLogger,
    noHandleSignals: true,
  });
  log.info({ runnerId, concurrency: config.RUNNER_CONCURRENCY }, "runner started");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "runner stopping: no new jobs are claimed, in-flight jobs finish or are released");
    clearInterval(heartbeat);
    await runner.stop();
    await db.runnerHeartbeat.delete({ where: { id: runnerId } }).catch(() => {});
    await db.$disconnect();
    log.info("runner stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  await runner.promise;
}

main().catch((err) => {
  if (err instanceof StartupError) {
    process.stderr.write(`flowgate runner: ${err.message}\n`);
  } else {
    log.fatal({ err }, "runner crashed");
  }
  process.exit(1);
});
