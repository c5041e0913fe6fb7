import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { StartupError } from "../startup-error";

const projectRoot = process.cwd();
export const migrationsDir = path.join(projectRoot, "prisma", "migrations");

/** Names of the migrations shipped with this build, in order. */
export function shippedMigrations(): string[] {
  if (!fs.existsSync(migrationsDir)) return [];
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(migrationsDir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Applies pending migrations with `prisma migrate deploy` (the JS engine works offline; see
 * docs/decisions/002). Its output is passed on line by line so a long migration shows progress.
 */
export async function applyMigrations(databaseUrl: string, onLine: (line: string) => void = () => {}) {
  const prismaBin = path.join(projectRoot, "node_modules", ".bin", "prisma");
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(prismaBin, ["migrate", "deploy"], {
      cwd: projectRoot,
      // process.env on purpose: the Prisma CLI child runs in this process's environment.
      // CHECKPOINT_DISABLE: the CLI otherwise waits ~10 s for its update check on an offline machine.
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let finished = false;
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        output.push(line);
        if (/Applying migration|applied|No pending migrations/i.test(line)) onLine(line.trim());
        // The CLI (6.19, JS engine) lingers ~10 s after its last word with a timer we cannot turn
        // off. Once it has reported success everything is committed, so stop waiting for it.
        if (!finished && /All migrations have been successfully applied|No pending migrations to apply/.test(line)) {
          finished = true;
          setTimeout(() => child.kill("SIGTERM"), 300).unref();
        }
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (exitCode) => resolve(finished ? 0 : exitCode));
  });
  if (code !== 0) {
    const reason = output.find((line) => /^Error|error:/i.test(line.trim())) ?? output.at(-1) ?? "unknown error";
    throw new StartupError(`database migration failed: ${reason.trim()}`);
  }
}

export interface MigrationState {
  applied: number;
  shipped: number;
  pending: string[];
  failed: string[];
  current: boolean;
}

/** Compares the migrations recorded in the database with those shipped in prisma/migrations. */
export async function readMigrationState(
  query: <T>(sql: string) => Promise<T[]>,
): Promise<MigrationState> {
  const shipped = shippedMigrations();
  const rows = await query<{ migration_name: string; finished_at: Date | null; rolled_back_at: Date | null }>(
    `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`,
  );
  const done = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const failed = rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  const pending = shipped.filter((name) => !done.has(name));
  return { applied: done.size, shipped: shipped.length, pending, failed, current: pending.length === 0 && failed.length === 0 };
}

/**
 * Everything a database needs before the app or a runner uses it: our schema, and the job
 * queue's own schema (graphile-worker), so the web app can enqueue before any runner has started.
 */
export async function migrateDatabase(databaseUrl: string, onLine: (line: string) => void = () => {}) {
  await applyMigrations(databaseUrl, onLine);
  const { runMigrations, Logger } = await import("graphile-worker");
  const quiet = new Logger(() => (level, message) => {
    if (level === "error") onLine(`job queue migration: ${message}`);
  });
  await runMigrations({ connectionString: databaseUrl, logger: quiet });
}
