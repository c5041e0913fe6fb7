import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/chain/append-audit-event";
import { getAuditEvent } from "@/lib/audit/search/search-events";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { createPrismaClient } from "@/lib/db/client";
import { loadDiffFacts } from "@/lib/runs/run-diff";
import { buildChain, editEventSql, insertChainedEvents } from "../support/audit-chain";
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
    name: "AuditEvent_content_decision_idx",
    definition: `CREATE INDEX "AuditEvent_content_decision_idx" ON public."AuditEvent" USING btree (((((content)::jsonb -> 'payload'::text) ->> 'decision'::text)))`,
  },
  {
    kind: "index",
    name: "AuditEvent_content_outcome_idx",
    definition: `CREATE INDEX "AuditEvent_content_outcome_idx" ON public."AuditEvent" USING btree (((((content)::jsonb -> 'payload'::text) ->> 'outcome'::text)))`,
  },
];

/**
 * The audit columns generated from `content` (20261203000000_audit_content; ADR 003). The payload
 * has none: it is read from the content (20261204000000_audit_payload_from_content).
 */
const CONTENT_MIGRATION = "20261203000000_audit_content";
const generatedAuditColumns = [
  { column_name: "action", generation_expression: "((content)::jsonb ->> 'action'::text)" },
  { column_name: "actorId", generation_expression: "((content)::jsonb ->> 'actorId'::text)" },
  { column_name: "actorLabel", generation_expression: "((content)::jsonb ->> 'actorLabel'::text)" },
  { column_name: "actorType", generation_expression: "audit_content_actor_type(((content)::jsonb ->> 'actorType'::text))" },
  { column_name: "occurredAt", generation_expression: "audit_content_time(((content)::jsonb ->> 'occurredAt'::text))" },
  { column_name: "repositoryId", generation_expression: "((content)::jsonb ->> 'repositoryId'::text)" },
  { column_name: "runId", generation_expression: "((content)::jsonb ->> 'runId'::text)" },
  { column_name: "sequence", generation_expression: "(((content)::jsonb ->> 'sequence'::text))::bigint" },
  { column_name: "subjectId", generation_expression: "((content)::jsonb ->> 'subjectId'::text)" },
  { column_name: "subjectType", generation_expression: "((content)::jsonb ->> 'subjectType'::text)" },
];

/** Migrations applied by hand, one at a time, to a database of their own (the data-migration tests). */
const migrationSql = (migration: string) => fs.readFileSync(path.join(root, "prisma", "migrations", migration, "migration.sql"), "utf8");
const migrationNames = () => fs.readdirSync(path.join(root, "prisma", "migrations")).filter((entry) => /^\d+_/.test(entry)).sort();

async function adminQuery(sql: string) {
  const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** An empty database of that name on the test server; its URL. */
async function createEmptyDatabase(name: string): Promise<string> {
  await adminQuery(`CREATE DATABASE ${name}`);
  return inject("postgresAdminUrl").replace(/\/postgres$/, `/${name}`);
}
const dropDatabase = (name: string) => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);

describe("migrations", () => {
  let migrated: TestDatabase;
  let fromSchema: pg.Client;
  let fromSchemaName: string;

  beforeAll(async () => {
    migrated = await createTestDatabase();
    // A second, empty database built straight from schema.prisma.
    fromSchemaName = `schema_${Date.now()}`;
    const url = await createEmptyDatabase(fromSchemaName);
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
    await dropDatabase(fromSchemaName);
  });

  it("produce exactly the database schema.prisma describes (no drift)", async () => {
    const fromMigrations = await migrated.sql(catalogQuery);
    const expected = (await fromSchema.query(catalogQuery)).rows;
    expect(fromMigrations.length).toBeGreaterThan(50);
    const handWritten = new Set(handWrittenIndexes.map((index) => index.name));
    expect(fromMigrations.filter((row) => row.kind === "index" && handWritten.has(row.name))).toEqual(handWrittenIndexes);
    expect(fromMigrations.filter((row) => !(row.kind === "index" && handWritten.has(row.name)))).toEqual(expected);
  });

  it("generate every audit column but the hashed content and the links from that content", async () => {
    const generated = await migrated.sql(
      `SELECT column_name, generation_expression FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = 'AuditEvent' AND is_generated = 'ALWAYS' ORDER BY column_name`,
    );
    expect(generated).toEqual(generatedAuditColumns);
  });

  it("make the audit log append-only: UPDATE, DELETE and TRUNCATE fail", async () => {
    const [event] = buildChain(1);
    await insertChainedEvents((text, params) => migrated.sql(text, params), [event]);
    await expect(migrated.sql(`UPDATE "AuditEvent" SET content = '{}'`)).rejects.toThrow(/append-only: UPDATE/);
    await expect(migrated.sql(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/append-only: DELETE/);
    await expect(migrated.sql(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only: TRUNCATE/);
    // Even with the trigger off, a column cannot drift from the hashed content.
    await migrated.sql(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    await expect(migrated.sql(`UPDATE "AuditEvent" SET action = 'edited'`)).rejects.toThrow(/can only be updated to DEFAULT/);
    await migrated.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    expect(await migrated.sql(`SELECT sequence::text, action, "occurredAt" FROM "AuditEvent"`)).toEqual([
      { sequence: "1", action: event.action, occurredAt: event.occurredAt },
    ]);
  });
});

describe("the migration that stores the audit log's hashed content", () => {
  let url: string;
  const name = `legacy_${Date.now()}`;
  afterAll(() => dropDatabase(name));

  it("keeps a chain written before it verifiable, with either reader, and still catches edits to it", async () => {
    url = await createEmptyDatabase(name);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const migrations = migrationNames();
    const at = migrations.indexOf(CONTENT_MIGRATION);
    expect(at).toBeGreaterThan(0);
    for (const migration of migrations.slice(0, at)) await client.query(migrationSql(migration));

    // Events as the appender wrote them before: columns only, the payload as jsonb.
    const legacy = buildChain(30);
    await client.query(
      `INSERT INTO "AuditEvent" (sequence, "occurredAt", "actorType", "actorId", "actorLabel", action, "subjectType", "subjectId", "runId", "repositoryId", payload, "prevHash", hash)
       SELECT s, o::timestamp, a::"ActorType", ai, al, ac, st, si, r, rp, p::jsonb, ph, h
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
           AS u(s, o, a, ai, al, ac, st, si, r, rp, p, ph, h)`,
      [
        legacy.map((e) => String(e.sequence)),
        legacy.map((e) => e.occurredAt.toISOString().slice(0, -1)),
        ...(["actorType", "actorId", "actorLabel", "action", "subjectType", "subjectId", "runId", "repositoryId"] as const).map((key) => legacy.map((e) => e[key])),
        legacy.map((e) => JSON.stringify(e.payload)),
        legacy.map((e) => e.prevHash),
        legacy.map((e) => e.hash),
      ],
    );
    for (const migration of migrations.slice(at)) await client.query(migrationSql(migration));

    const db = createPrismaClient(url);
    try {
      // Its columns are generated from the content made of its old columns, and its payload is read from it.
      const event = await getAuditEvent(db, 8n);
      expect(event).toMatchObject({ action: legacy[7].action, occurredAt: legacy[7].occurredAt.toISOString(), integrity: { ok: true } });
      expect(event?.payload).toEqual(legacy[7].payload);
      for (const options of [{ batchSize: 7 }, { databaseUrl: url }]) {
        expect(await verifyAuditChain(db, options)).toMatchObject({ ok: true, verifiedThrough: "30", eventsChecked: 30 });
      }
      // New events continue the old chain, stored canonical.
      await db.$transaction((tx) => appendAuditEvent(tx, { actor: { type: "system", id: "test", label: "test" }, action: "test.after", subject: { type: "test", id: "1" }, payload: { n: 0.1 + 0.2 } }));
      for (const options of [{}, { databaseUrl: url }]) {
        expect(await verifyAuditChain(db, options)).toMatchObject({ ok: true, verifiedThrough: "31", eventsChecked: 31 });
      }
      await client.query(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
      await client.query(editEventSql(12, "payload,risk", "7"));
      for (const options of [{}, { databaseUrl: url }]) {
        expect(await verifyAuditChain(db, options)).toMatchObject({ ok: false, verifiedThrough: "11", broken: { kind: "content", sequence: 12n } });
      }
    } finally {
      await db.$disconnect();
      await client.end();
    }
  });
});

describe("the migration that moves the diff off the run's row", () => {
  const name = `rundiff_${Date.now()}`;
  const RUN_DIFF_MIGRATION = "20261207000000_run_diff";
  afterAll(() => dropDatabase(name));

  it("keeps every run's diff with the paths it touches, parses old runs' facts on first read, and ends runs left waiting at a stage without an agent", async () => {
    const url = await createEmptyDatabase(name);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const db = createPrismaClient(url);
    try {
      const migrations = migrationNames();
      const at = migrations.indexOf(RUN_DIFF_MIGRATION);
      expect(at).toBeGreaterThan(0);
      for (const migration of migrations.slice(0, at)) await client.query(migrationSql(migration));

      const diff = [
        "diff --git a/src/a.ts b/src/a.ts",
        "--- a/src/a.ts",
        "+++ b/src/a.ts",
        "@@ -1 +1,2 @@",
        "-old",
        "+new",
        "+more",
        "diff --git a/docs/b.md b/docs/b.md",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/docs/b.md",
        "@@ -0,0 +1 @@",
        "+hello",
        "",
      ].join("\n");
      // Rows as the old schema held them: the diff on the run, one run left waiting at a stage with no agent.
      await client.query(`
        INSERT INTO "Repository" (id, name, location, "updatedAt") VALUES ('repo', 'shop', '/nowhere', now());
        INSERT INTO "PullRequest" (id, "repositoryId", number, title, author, "baseRef", "headRef") VALUES ('pr', 'repo', 1, 'A change', 'dev', 'main', 'feature');
        INSERT INTO "Policy" (id, version, rules, active) VALUES ('policy', 1, '{}', true);`);
      await client.query(
        `INSERT INTO "PipelineRun" (id, "pullRequestId", "baseSha", "headSha", diff, "diffBytes", status, "currentStage", "policyId", "updatedAt")
         VALUES ('done-run', 'pr', 'a', 'b', $1, 10, 'done', 'deployment', 'policy', now()), ('waiting-run', 'pr', 'a', 'c', $1, 10, 'waiting', 'staging', 'policy', now())`,
        [diff],
      );
      await client.query(`INSERT INTO "StageRun" (id, "runId", stage, attempt, status, summary) VALUES ('sr', 'waiting-run', 'staging', 1, 'not_configured', 'waiting: stage not configured')`);
      for (const migration of migrations.slice(at)) await client.query(migrationSql(migration));

      const { rows } = await client.query(`SELECT "runId", text, paths, facts FROM "RunDiff" ORDER BY "runId"`);
      expect(rows).toEqual([
        { runId: "done-run", text: diff, paths: ["src/a.ts", "docs/b.md"], facts: null },
        { runId: "waiting-run", text: diff, paths: ["src/a.ts", "docs/b.md"], facts: null },
      ]);
      expect((await client.query(`SELECT id, status::text, "finishedAt" IS NOT NULL AS ended FROM "PipelineRun" ORDER BY id`)).rows).toEqual([
        { id: "done-run", status: "done", ended: false },
        { id: "waiting-run", status: "failed", ended: true },
      ]);
      expect((await client.query(`SELECT status::text, summary FROM "StageRun"`)).rows).toEqual([
        { status: "cancelled", summary: "cancelled: no agent existed for this stage when the run reached it" },
      ]);

      const facts = await loadDiffFacts(db, "done-run");
      expect(facts).toMatchObject({ additions: 3, deletions: 1 });
      expect(facts?.files).toEqual([
        { path: "src/a.ts", oldPath: "src/a.ts", newPath: "src/a.ts", status: "modified", language: "TypeScript", binary: false, additions: 2, deletions: 1, hunks: [{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 2 }] },
        { path: "docs/b.md", oldPath: null, newPath: "docs/b.md", status: "added", language: "Markdown", binary: false, additions: 1, deletions: 0, hunks: [{ oldStart: 0, oldLines: 0, newStart: 1, newLines: 1 }] },
      ]);
      // Stored on first read: the next reader takes them as they are.
      expect((await client.query(`SELECT facts FROM "RunDiff" WHERE "runId" = 'done-run'`)).rows[0].facts).toEqual(facts);
    } finally {
      await db.$disconnect();
      await client.end();
    }
  });
});
