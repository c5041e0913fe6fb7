/**
 * What the browser benchmarks share: a fresh embedded PostgreSQL under .test-data/ (migrated, with
 * the default policy and the users they sign in as), Flowgate started on it from the production
 * build, and the signed-in session as a cookie for fetch and for Chromium contexts.
 */
import fs from "node:fs";
import type { Role } from "../../lib/auth/roles";
import { ensureDefaultPolicy } from "../../lib/policy/ensure-default-policy";
import { createPrismaClient, type Db } from "../../lib/db/client";
import { findFreePort, startEmbeddedPostgres } from "../../lib/db/embedded";
import { migrateDatabase } from "../../lib/db/migrations";
import { createUser } from "../../lib/users/create-user";
import { startFlowgate, testDataDir, type FlowgateProcess } from "../../test/support/flowgate-process";
import { signIn } from "../../test/support/http-session";

export const benchActor = { type: "system", id: "bench", label: "bench" } as const;
const BENCH_PASSWORD = "bench-password-1";

export interface BenchDatabase {
  databaseUrl: string;
  /** Connected; the benchmark disconnects it when it has written its dataset. */
  db: Db;
  /** Stops PostgreSQL and removes its data directory. */
  stop(): Promise<void>;
}

export async function startBenchDatabase(name: string, users: { email: string; role: Role }[]): Promise<BenchDatabase> {
  const dataDir = testDataDir(name);
  const database = await startEmbeddedPostgres({ dataDir, port: await findFreePort() });
  const stop = async () => {
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await migrateDatabase(database.databaseUrl);
    const db = createPrismaClient(database.databaseUrl);
    await ensureDefaultPolicy(db);
    for (const user of users) await createUser(db, { input: { ...user, password: BENCH_PASSWORD }, actor: benchActor });
    return { databaseUrl: database.databaseUrl, db, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface BenchSite {
  app: FlowgateProcess;
  /** The Cookie header of the signed-in session, for fetch. */
  cookie: string;
  /** The session cookie as Chromium's addCookies takes it. */
  browserCookie: { name: string; value: string; url: string };
}

/** Starts Flowgate on the benchmark's database and signs in as `email`. */
export async function startBenchSite(databaseUrl: string, email: string): Promise<BenchSite> {
  const app = await startFlowgate({ env: { DATABASE_URL: databaseUrl, NEXTAUTH_SECRET: "b".repeat(40), LOG_LEVEL: "warn" } });
  const cookie = await signIn(app.url, email, BENCH_PASSWORD);
  if (!cookie) {
    await app.stop();
    throw new Error(`could not sign in as ${email}`);
  }
  const [name, value] = cookie.split("; ").find((c) => c.startsWith("next-auth.session-token="))!.split(/=(.*)/s);
  return { app, cookie, browserCookie: { name, value, url: app.url } };
}
