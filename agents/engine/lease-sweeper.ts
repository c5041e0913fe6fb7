import type { Db } from "../../lib/db/client";
import type { Logger } from "../../lib/log";

/**
 * The lease: a runner that stops refreshing its heartbeat (killed, frozen, partitioned) for
 * `staleAfterSeconds` is presumed dead. Its job locks are released so another runner picks the
 * work up, and its heartbeat row is removed. Any runner may sweep; the work is idempotent.
 */
export async function releaseDeadRunners(db: Db, log: Logger, staleAfterSeconds: number): Promise<number> {
  const dead = await db.runnerHeartbeat.findMany({
    where: { lastSeenAt: { lt: new Date(Date.now() - staleAfterSeconds * 1000) } },
  });
  if (dead.length === 0) return 0;
  const workerIds = dead.flatMap((runner) => runner.workerIds);
  if (workerIds.length > 0) await db.$executeRaw`SELECT graphile_worker.force_unlock_workers(${workerIds}::text[])`;
  await db.runnerHeartbeat.deleteMany({ where: { id: { in: dead.map((runner) => runner.id) } } });
  log.warn({ runners: dead.map((r) => r.id), workerIds }, "released the jobs of runners whose heartbeat stopped");
  return dead.length;
}
