/**
 * Audit export cost: CSV export throughput next to PostgreSQL's own `COPY (SELECT ...) TO STDOUT`
 * of the same rows in the same run, the export's peak RSS at 200k events and at a larger N (it
 * should not grow with N), and the offline verification rate next to a bare SHA-256 of the same
 * bytes. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/audit-export.ts            # 200k and 2M events
 *   AUDIT_BENCH_LARGE=1000000 node --import tsx bench/audit-export.ts
 *
 * The chain is built in JS with eventHash and inserted in set-based batches (unnest): appending
 * a million events one transaction at a time would take far longer and measure the appender, not
 * the export. Each export runs in a child process of its own, because peak RSS only ever grows.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { computeAuditExportManifest, exportAuditEvents, exportQuerySchema } from "../lib/audit/export/export-events";
import { verifyExport } from "../lib/audit/export/verify-export";
import { createPrismaClient } from "../lib/db/client";
import { startEmbeddedPostgres } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";
import { chainBatches, insertChainedEvents } from "../test/support/audit-chain";
import { AUDIT_BENCH_PAYLOADS } from "./support/audit-dataset";

const root = path.resolve(import.meta.dirname, "..");
const SMALL = 200_000;
const LARGE = Number(process.env.AUDIT_BENCH_LARGE || 2_000_000);
const EXPORT_BATCH = 1_000;
const say = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => bytes / 1024 / 1024;

interface ExportFigures {
  rows: number;
  bytes: number;
  ms: number;
  baselineRssMb: number;
  peakRssMb: number;
}

async function insertChain(client: pg.Client, count: number) {
  for (const events of chainBatches(count, { payloads: AUDIT_BENCH_PAYLOADS })) {
    await insertChainedEvents((text, params) => client.query(text, params), events);
  }
}

/**
 * `COPY ... TO STDOUT` through pg's submittable interface (pg-copy-streams is not a dependency):
 * the server streams CopyData messages, which are counted and dropped.
 */
function copyOut(client: pg.Client, sql: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let failure: unknown = null;
    const submittable = {
      submit: (connection: { query: (text: string) => void }) => connection.query(sql),
      handleCopyData: (message: { chunk: Buffer }) => {
        bytes += message.chunk.length;
      },
      handleCommandComplete: () => {},
      handleError: (error: unknown) => {
        failure = error;
      },
      handleReadyForQuery: () => (failure ? reject(failure) : resolve(bytes)),
    };
    client.query(submittable as never);
  });
}

/** Child mode: one CSV export of sequences 1..through, written nowhere, measured from inside. */
async function exportChild(databaseUrl: string, through: string) {
  const db = createPrismaClient(databaseUrl);
  await db.$connect();
  const baselineRssMb = mb(process.memoryUsage().rss);
  const query = exportQuerySchema.parse({ format: "csv", through });
  let bytes = 0;
  const started = performance.now();
  // As the export endpoint does: a contiguous export read with COPY on a connection of its own.
  for await (const chunk of exportAuditEvents(db, query, { databaseUrl })) bytes += Buffer.byteLength(chunk);
  const ms = performance.now() - started;
  await db.$disconnect();
  const figures: ExportFigures = { rows: Number(through), bytes, ms, baselineRssMb, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(figures));
}

function runExportChild(databaseUrl: string, through: number): Promise<ExportFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "audit-export.ts"), "--export-child", databaseUrl, String(through)], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(output) as ExportFigures) : reject(new Error(`export child exited ${code}`))));
  });
}

async function measureCopy(client: pg.Client, through: number) {
  // The columns the export reads: the payload is taken from the stored canonical content.
  const columns = `sequence, "occurredAt", "actorType", "actorId", "actorLabel", action, "subjectType", "subjectId", "runId", "repositoryId", content, "prevHash", hash`;
  const started = performance.now();
  const bytes = await copyOut(client, `COPY (SELECT ${columns} FROM "AuditEvent" WHERE sequence <= ${through} ORDER BY sequence) TO STDOUT WITH (FORMAT csv, HEADER)`);
  return { bytes, ms: performance.now() - started };
}

/** Verification rate on the small export, held in memory, next to SHA-256 alone over the same bytes. */
async function measureVerification(databaseUrl: string) {
  const db = createPrismaClient(databaseUrl);
  const query = exportQuerySchema.parse({ format: "csv", through: String(SMALL) });
  const chunks: Buffer[] = [];
  for await (const chunk of exportAuditEvents(db, query, { batchSize: EXPORT_BATCH })) chunks.push(Buffer.from(chunk));
  const file = Buffer.concat(chunks);
  const manifest = await computeAuditExportManifest(db, query, { batchSize: EXPORT_BATCH });
  await db.$disconnect();
  let started = performance.now();
  const result = verifyExport(file, manifest);
  const verifyMs = performance.now() - started;
  if (!result.ok) throw new Error(`the benchmark's own export does not verify: ${result.problems.join("; ")}`);
  started = performance.now();
  createHash("sha256").update(file).digest("hex");
  const shaMs = performance.now() - started;
  return { bytes: file.byteLength, verifyMs, shaMs };
}

async function main() {
  const dataDir = path.join(root, ".test-data", `bench-audit-export-${process.pid}`);
  say(`starting embedded PostgreSQL in ${path.relative(root, dataDir)} and migrating...`);
  const database = await startEmbeddedPostgres({ dataDir });
  const client = new pg.Client({ connectionString: database.databaseUrl });
  try {
    await migrateDatabase(database.databaseUrl);
    await client.connect();
    let started = performance.now();
    await insertChain(client, LARGE);
    await client.query(`VACUUM ANALYZE "AuditEvent"`);
    say(`inserted a valid chain of ${LARGE.toLocaleString("en")} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Warm-up: read every row once so neither contender pays for the first cold read.
    await measureCopy(client, LARGE);

    say("");
    say("CSV export (read with COPY, lines built in JS; one child process per run) vs COPY (SELECT ...) TO STDOUT of the same rows");
    for (const count of [SMALL, LARGE]) {
      const exported = await runExportChild(database.databaseUrl, count);
      const copied = await measureCopy(client, count);
      const rate = (rows: number, ms: number) => `${Math.round(rows / (ms / 1000)).toLocaleString("en").padStart(9)} rows/s`;
      say(`  ${count.toLocaleString("en").padStart(9)} events`);
      say(`    export ${rate(count, exported.ms)}  ${(mb(exported.bytes) / (exported.ms / 1000)).toFixed(1).padStart(6)} MB/s  ${mb(exported.bytes).toFixed(0)} MB  peak RSS ${exported.peakRssMb.toFixed(0)} MB (${exported.baselineRssMb.toFixed(0)} MB before the first page)`);
      say(`    COPY   ${rate(count, copied.ms)}  ${(mb(copied.bytes) / (copied.ms / 1000)).toFixed(1).padStart(6)} MB/s  ${mb(copied.bytes).toFixed(0)} MB  (export takes ${(exported.ms / copied.ms).toFixed(1)}x as long)`);
    }

    say("");
    started = performance.now();
    const verification = await measureVerification(database.databaseUrl);
    say(`offline verification of the ${SMALL.toLocaleString("en")}-event CSV export (${mb(verification.bytes).toFixed(0)} MB, in memory):`);
    say(`  verifyExport  ${Math.round(SMALL / (verification.verifyMs / 1000)).toLocaleString("en")} events/s  ${(mb(verification.bytes) / (verification.verifyMs / 1000)).toFixed(0)} MB/s`);
    say(`  SHA-256 only  ${(mb(verification.bytes) / (verification.shaMs / 1000)).toFixed(0)} MB/s (verification costs ${(verification.verifyMs / verification.shaMs).toFixed(0)}x a bare hash: it parses every row and recomputes every event's hash)`);
  } finally {
    await client.end().catch(() => {});
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--export-child") {
  await exportChild(process.argv[3], process.argv[4]);
} else {
  await main();
}
