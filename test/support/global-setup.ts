import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../lib/db/embedded";
import { migrateDatabase } from "../../lib/db/migrations";

export const TEMPLATE_DATABASE = "flowgate_template";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

let server: EmbeddedDatabase | undefined;
let runDir: string | undefined;

/**
 * One real PostgreSQL for the whole run, with a migrated template database. Each test file
 * clones the template (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export async function setup(project: TestProject) {
  // `npm test -- test/unit` selects tests that need no database (scripts/test.ts says so).
  if (process.env.FLOWGATE_TEST_NO_DATABASE === "1") return;
  // Everything this run creates lives under one folder of its own, so two runs side by side
  // (or a benchmark) never remove each other's data. Test workers inherit the variable.
  runDir = path.resolve(".test-data", `run-${process.pid}`);
  process.env.FLOWGATE_TEST_RUN_DIR = runDir;
  const dataDir = path.join(runDir, "pg");
  fs.rmSync(runDir, { recursive: true, force: true });
  server = await startEmbeddedPostgres({ dataDir });
  const adminUrl = server.databaseUrl.replace(/\/flowgate$/, "/postgres");
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  await migrateDatabase(adminUrl.replace(/\/postgres$/, `/${TEMPLATE_DATABASE}`));
  project.provide("postgresAdminUrl", adminUrl);
}

export async function teardown() {
  await server?.stop();
  // The cluster above and the data directories of the Flowgate instances the server tests started.
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
}
