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

/**
 * One real PostgreSQL for the whole run, with a migrated template database. Each test file
 * clones the template (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export async function setup(project: TestProject) {
  const dataDir = path.resolve(".test-data", `pg-${process.pid}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
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
  // Data directories of the Flowgate instances the server tests started, and the cluster above.
  fs.rmSync(path.resolve(".test-data"), { recursive: true, force: true });
}
