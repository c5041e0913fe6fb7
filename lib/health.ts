import type { Db } from "./db/client";
import { readMigrationState, type MigrationState } from "./db/migrations";

/** A runner that has not refreshed its heartbeat for this long is considered gone. */
export const RUNNER_STALE_AFTER_SECONDS = 30;

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  database: { reachable: boolean; error?: string };
  migrations: MigrationState | null;
  runner: { heartbeatAgeSeconds: number | null; activeRunners: number };
  checkedAt: string;
}

export async function checkHealth(db: Db): Promise<HealthReport> {
  const checkedAt = new Date().toISOString();
  try {
    await db.$queryRawUnsafe("SELECT 1");
  } catch {
    return {
      status: "down",
      database: { reachable: false, error: "database unreachable" },
      migrations: null,
      runner: { heartbeatAgeSeconds: null, activeRunners: 0 },
      checkedAt,
    };
  }
  const migrations = await readMigrationState((sql) => db.$queryRawUnsafe(sql));
  const [freshest] = await db.$queryRawUnsafe<{ age: number | null; active: bigint }[]>(
    `SELECT EXTRACT(EPOCH FROM (now() - max("lastSeenAt")))::float8 AS age,
            count(*) FILTER (WHERE "lastSeenAt" > now() - interval '${RUNNER_STALE_AFTER_SECONDS} seconds') AS active
       FROM "RunnerHeartbeat"`,
  );
  const heartbeatAgeSeconds = freshest?.age === null || freshest?.age === undefined ? null : Math.round(freshest.age * 10) / 10;
  const activeRunners = Number(freshest?.active ?? 0);
  const status = !migrations.current ? "down" : activeRunners === 0 ? "degraded" : "ok";
  return { status, database: { reachable: true }, migrations, runner: { heartbeatAgeSeconds, activeRunners }, checkedAt };
}
