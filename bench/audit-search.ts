/**
 * Audit search latency with 2M events spread over a year: the search function behind
 * GET /api/v1/audit/events (searchAuditEvents, in process: the route adds only its wrapper), a
 * page of 50 newest first, for a one-week one-repository filter (the target: p99 under 150 ms)
 * and a few other filters, with the plan PostgreSQL chose for each. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/audit-search.ts
 *   AUDIT_BENCH_EVENTS=200000 node --import tsx bench/audit-search.ts
 */
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { auditSearchQuery, searchAuditEvents, type AuditSearchInput } from "../lib/audit/search/search-events";
import { createPrismaClient } from "../lib/db/client";
import { startEmbeddedPostgres } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";
import { chainBatches, insertChainedEvents } from "../test/support/audit-chain";
import { AUDIT_BENCH_PAYLOADS } from "./support/audit-dataset";

const root = path.resolve(import.meta.dirname, "..");
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS || 2_000_000);
const REPOSITORIES = 50;
const START = Date.UTC(2026, 0, 1);
const YEAR_MS = 365 * 24 * 3600_000;
const SPACING_MS = Math.floor(YEAR_MS / EVENTS);
const WEEK_MS = 7 * 24 * 3600_000;
const REQUESTS = 300;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** A fixed sequence of pseudo-random numbers, so two runs ask the same questions. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main() {
  const dataDir = path.join(root, ".test-data", `bench-audit-search-${process.pid}`);
  say(`starting embedded PostgreSQL in ${path.relative(root, dataDir)} and migrating...`);
  const database = await startEmbeddedPostgres({ dataDir });
  const client = new pg.Client({ connectionString: database.databaseUrl });
  const db = createPrismaClient(database.databaseUrl);
  try {
    await migrateDatabase(database.databaseUrl);
    await client.connect();
    await client.query(
      `INSERT INTO "Repository" (id, name, location, "updatedAt") SELECT 'repo-' || i, 'repo' || i, '/tmp/repo' || i, now() FROM generate_series(0, ${REPOSITORIES - 1}) i`,
    );
    let started = performance.now();
    for (const batch of chainBatches(EVENTS, { repositories: REPOSITORIES, spacingMs: SPACING_MS, startAt: START, payloads: AUDIT_BENCH_PAYLOADS })) {
      await insertChainedEvents((text, params) => client.query(text, params), batch);
    }
    await client.query(`VACUUM ANALYZE "AuditEvent"`);
    say(`inserted ${EVENTS.toLocaleString("en")} events over a year (${REPOSITORIES} repositories) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const next = random(7);
    const week = () => {
      const from = START + Math.floor(next() * (YEAR_MS - WEEK_MS));
      return { from: new Date(from).toISOString(), to: new Date(from + WEEK_MS).toISOString() };
    };
    const repository = () => `repo${Math.floor(next() * REPOSITORIES)}`;
    const cases: [string, () => AuditSearchInput][] = [
      ["one week, one repository", () => ({ ...week(), repository: repository() })],
      ["one week", () => week()],
      ["one repository", () => ({ repository: repository() })],
      ["action", () => ({ action: "run.escalated" })],
      ["actor label prefix", () => ({ actor: `PERSON${Math.floor(next() * 17)}@` })],
      ["one week, one repository, action", () => ({ ...week(), repository: repository(), action: "stage.decided" })],
    ];

    say("");
    say(`searchAuditEvents, a page of 50 newest first, ${REQUESTS} requests per filter after 20 to warm up`);
    for (const [name, filter] of cases) {
      for (let i = 0; i < 20; i++) await searchAuditEvents(db, { ...filter(), limit: 50 });
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const input = { ...filter(), limit: 50 };
        started = performance.now();
        const page = await searchAuditEvents(db, input);
        times.push(performance.now() - started);
        rows += page.events.length;
      }
      times.sort((a, b) => a - b);
      const { query } = await auditSearchQuery(db, { ...filter(), limit: 50 });
      const plan = query ? (await client.query(`EXPLAIN ${query.text}`, query.values as unknown[])).rows.map((r: Record<string, string>) => r["QUERY PLAN"]) : [];
      // The scan of the audit table (the page's events), not the join to its repository's name.
      const scan = plan.find((line) => /Scan.*"AuditEvent/.test(line))?.trim().replace(/\s+\(cost.*$/, "") ?? "–";
      say(
        `  ${name.padEnd(34)} p50 ${percentile(times, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(times, 99).toFixed(1).padStart(6)} ms  max ${times.at(-1)!.toFixed(1).padStart(6)} ms  (${(rows / REQUESTS).toFixed(0)} rows/page; ${scan})`,
      );
    }
  } finally {
    await db.$disconnect().catch(() => {});
    await client.end().catch(() => {});
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
