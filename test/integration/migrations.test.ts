import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..", "..");

/** Tables, columns, indexes, constraints and enums: what `schema.prisma` describes. */
const catalogQuery = `
  SELECT 'column' AS kind, table_name || '.' || column_name AS name,
         concat_ws(' ', data_type, udt_name, is_nullable, column_default) AS definition
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
  UNION ALL
  SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
  UNION ALL
  SELECT 'constraint', conrelid::regclass || '.' || conname, pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
  UNION ALL
  SELECT 'enum', t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname
  ORDER BY 1, 2`;

/**
 * Indexes that schema.prisma cannot state (expressions, operator classes), written by
 * hand at the end of a migration. The migrated database must have each, with exactly this
 * definition; everything else must match schema.prisma row for row.
 */
const handWrittenIndexes = [
  {
    kind: "index",
    name: "AuditEvent_actorLabel_lower_idx",
    definition: `CREATE INDEX "AuditEvent_actorLabel_lower_idx" ON public."AuditEvent" USING btree (lower("actorLabel") text_pattern_ops)`,
  },
  {
    kind: "index",
    name: "AuditEvent_payload_decision_idx",
    definition: `CREATE INDEX "AuditEvent_payload_decision_idx" ON public."AuditEvent" USING btree (((payload ->> 'decision'::text)))`,
  },
  {
    kind: "index",
    name: "AuditEvent_payload_outcome_idx",
    definition: `CREATE INDEX "AuditEvent_payload_outcome_idx" ON public."AuditEvent" USING btree (((payload ->> 'outcome'::text)))`,
  },
];

describe("migrations", () => {
  let migrated: TestDatabase;
  let fromSchema: pg.Client;
  let fromSchemaName: string;

  beforeAll(async () => {
    migrated = await createTestDatabase();
    // A second, empty database built straight from schema.prisma.
    const adminUrl = inject("postgresAdminUrl");
    fromSchemaName = `schema_${Date.now()}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${fromSchemaName}`);
    await admin.end();
    const url = adminUrl.replace(/\/postgres$/, `/${fromSchemaName}`);
    const { stdout: script } = await run(
      path.join(root, "node_modules", ".bin", "prisma"),
      ["migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
      { cwd: root, env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" } },
    );
    fromSchema = new pg.Client({ connectionString: url });
    await fromSchema.connect();
    await fromSchema.query(script);
  });

  afterAll(async () => {
    await fromSchema?.end();
    await migrated?.drop();
    const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${fromSchemaName} WITH (FORCE)`);
    await admin.end();
  });

  it("produce exactly the database schema.prisma describes (no drift)", async () => {
    const fromMigrations = await migrated.sql(catalogQuery);
    const expected = (await fromSchema.query(catalogQuery)).rows;
    expect(fromMigrations.length).toBeGreaterThan(50);
    const handWritten = new Set(handWrittenIndexes.map((index) => index.name));
    expect(fromMigrations.filter((row) => row.kind === "index" && handWritten.has(row.name))).toEqual(handWrittenIndexes);
    expect(fromMigrations.filter((row) => !(row.kind === "index" && handWritten.has(row.name)))).toEqual(expected);
  });

  it("make the audit log append-only: UPDATE, DELETE and TRUNCATE fail", async () => {
    await migrated.sql(
      `INSERT INTO "AuditEvent" (sequence, "actorType", "actorId", "actorLabel", action, "subjectType", "subjectId", payload, "prevHash", hash)
       VALUES (1, 'system', 'test', 'test', 'test.event', 'test', '1', '{}', $1, 'h1')`,
      ["0".repeat(64)],
    );
    await expect(migrated.sql(`UPDATE "AuditEvent" SET action = 'edited'`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(migrated.sql(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/append-only: DELETE/);
    await expect(migrated.sql(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only: TRUNCATE/);
    expect(await migrated.sql(`SELECT action FROM "AuditEvent"`)).toEqual([{ action: "test.event" }]);
  });
});
