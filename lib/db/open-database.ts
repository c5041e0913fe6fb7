import path from "node:path";
import pg from "pg";
import { StartupError } from "../startup-error";
import { runningInstanceDatabaseUrl, startEmbeddedPostgres, type EmbeddedDatabase } from "./embedded";
import { migrateDatabase } from "./migrations";

export interface OpenDatabase {
  databaseUrl: string;
  /** The embedded server this process started, if any; stopped by close(). */
  embedded: EmbeddedDatabase | null;
  close(): Promise<void>;
}

function describeTarget(databaseUrl: string) {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || 5432}${url.pathname}`;
  } catch {
    return "the configured database";
  }
}

/** Connects once to prove the server answers, turning driver errors into one clear line. */
export async function assertDatabaseReachable(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    const reason = error.code === "ECONNREFUSED" ? "connection refused" : error.message.split("\n")[0];
    throw new StartupError(`cannot reach the database at ${describeTarget(databaseUrl)}: ${reason}`);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The database for a process: DATABASE_URL when set; otherwise the embedded server of this data
 * directory, either the one a running Flowgate owns (when `share` is allowed, as for `ctl`) or one
 * started here. Migrations are applied either way.
 */
export async function openDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  share: boolean;
  log: (line: string) => void;
}): Promise<OpenDatabase> {
  let databaseUrl = options.databaseUrl;
  let embedded: EmbeddedDatabase | null = null;
  if (!databaseUrl && options.share) databaseUrl = runningInstanceDatabaseUrl(options.dataDir) ?? undefined;
  if (!databaseUrl) {
    options.log(`starting the embedded PostgreSQL (data in ${path.resolve(options.dataDir)})`);
    embedded = await startEmbeddedPostgres({ dataDir: options.dataDir, log: options.log });
    databaseUrl = embedded.databaseUrl;
  }
  try {
    await assertDatabaseReachable(databaseUrl);
    options.log("applying database migrations");
    await migrateDatabase(databaseUrl, (line) => options.log(`  ${line}`));
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  return { databaseUrl, embedded, close: async () => embedded?.stop() };
}
