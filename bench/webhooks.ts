/**
 * GitHub webhook intake (issue #18): how long `POST /api/v1/hooks/github` takes to verify a
 * delivery, record it once with its audit event and its job, and answer 202 — the answer GitHub
 * waits for (it gives up after 10 seconds). Run in process through the route's handler, on the
 * embedded PostgreSQL, beside a bare one-row INSERT transaction on the same database as the floor.
 *
 *   node --import tsx bench/webhooks.ts      # about a minute
 *
 * Paced: 1,000 distinct deliveries at 50 per second (open loop: a late one is followed at once by
 * the next). Burst: 1,000 deliveries at once, 100 of them repeats of others, 50 in flight at a
 * time; then the rows, jobs and audit events are counted: exactly one of each per distinct
 * delivery, none lost. The git work (fetching the pull request) happens later, in the delivery
 * job, so it is not part of the answer's time.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";

const root = path.resolve(import.meta.dirname, "..");
const SECRET = "bench-webhook-secret-0123456789";
const PACED = 1000;
const PER_SECOND = 50;
const BURST = 1000;
const BURST_REPEATS = 100;
const IN_FLIGHT = 50;
const FLOOR_ITERATIONS = 1000;
const TARGET_P99_MS = 50;

type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}
const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;

async function main() {
  const dataDir = path.join(root, ".test-data", `bench-webhooks-${process.pid}`);
  say("starting embedded PostgreSQL and migrating...");
  const database = await startEmbeddedPostgres({ dataDir });
  try {
    await migrateDatabase(database.databaseUrl);
    process.env.DATABASE_URL = database.databaseUrl;
    process.env.NEXTAUTH_SECRET ??= "bench-webhooks-nextauth-secret-0123456789";
    process.env.GITHUB_WEBHOOK_SECRET = SECRET;
    process.env.LOG_LEVEL ??= "warn";
    const { POST } = (await import("../app/api/v1/hooks/github/route")) as unknown as { POST: Handler };
    const { signGithubPayload } = await import("../lib/code-host/github/webhook-signature");

    // A real pull_request "opened" delivery from GitHub's documented examples, as GitHub signs it.
    const examples: { name: string; examples: Record<string, unknown>[] }[] = JSON.parse(
      fs.readFileSync(path.join(root, "node_modules/@octokit/webhooks-examples/api.github.com/index.json"), "utf8"),
    );
    const body = JSON.stringify(examples.find((e) => e.name === "pull_request")!.examples.find((e) => e.action === "opened" && e.installation));
    const signature = signGithubPayload(body, SECRET);
    const deliver = async (id: string) => {
      const began = performance.now();
      const response = await POST(
        new Request("http://localhost/api/v1/hooks/github", {
          method: "POST",
          headers: { "content-type": "application/json", "x-github-delivery": id, "x-github-event": "pull_request", "x-hub-signature-256": signature },
          body,
        }),
        { params: Promise.resolve({}) },
      );
      await response.arrayBuffer();
      return { status: response.status, ms: performance.now() - began };
    };

    const client = new pg.Client({ connectionString: database.databaseUrl });
    // Stopped with the database at the end, whatever happened before.
    client.on("error", () => {});
    await client.connect();
    const floor: number[] = [];
    await client.query("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
    for (let i = 0; i < FLOOR_ITERATIONS; i++) {
      const began = performance.now();
      await client.query("BEGIN");
      await client.query("INSERT INTO bench_floor DEFAULT VALUES");
      await client.query("COMMIT");
      floor.push(performance.now() - began);
    }
    for (let i = 0; i < 20; i++) await deliver(randomUUID()); // warm-up: module loading, the pool, plans

    say("one at a time: 200 deliveries...");
    const serial: number[] = [];
    for (let i = 0; i < 200; i++) serial.push((await deliver(randomUUID())).ms);

    say(`paced: ${PACED} deliveries at ${PER_SECOND}/s...`);
    const paced: number[] = [];
    const statuses = new Map<number, number>();
    const began = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < PACED; i++) {
      const wait = began + (i * 1000) / PER_SECOND - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(
        deliver(randomUUID()).then((r) => {
          paced.push(r.ms);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }),
      );
    }
    await Promise.all(inFlight);

    say(`burst: ${BURST} deliveries (${BURST_REPEATS} repeats), ${IN_FLIGHT} in flight...`);
    await client.query(`DELETE FROM "CodeHostDelivery"; DELETE FROM graphile_worker._private_jobs`);
    const auditBefore = Number((await client.query(`SELECT count(*) FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`)).rows[0].count);
    const unique = Array.from({ length: BURST - BURST_REPEATS }, () => randomUUID());
    const ids = [...unique, ...unique.slice(0, BURST_REPEATS)].sort(() => Math.random() - 0.5);
    const burst: number[] = [];
    const burstStatuses = new Map<number, number>();
    let next = 0;
    const burstBegan = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < ids.length) {
          const r = await deliver(ids[next++]);
          burst.push(r.ms);
          burstStatuses.set(r.status, (burstStatuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    const burstSeconds = (performance.now() - burstBegan) / 1000;
    const count = async (sql: string) => Number((await client.query(sql)).rows[0].count);
    const rows = await count(`SELECT count(*) FROM "CodeHostDelivery"`);
    const jobs = await count(`SELECT count(*) FROM graphile_worker.jobs WHERE task_identifier = 'codeHost.delivery'`);
    const audits = (await count(`SELECT count(*) FROM "AuditEvent" WHERE action = 'codehost.delivery_received'`)) - auditBefore;
    await client.end();

    const f = percentiles(floor);
    const o = percentiles(serial);
    const p = percentiles(paced);
    const b = percentiles(burst);
    const fmt = (m: Map<number, number>) => [...m.entries()].sort().map(([status, n]) => `${n}× ${status}`).join(", ");
    say("");
    say("GitHub webhook intake (in process, embedded PostgreSQL, 2 cores): verify, record once, audit, enqueue, answer");
    say(`floor: one-row INSERT transaction          p50 ${ms(f.p50)}  p99 ${ms(f.p99)}  max ${ms(f.max)}  (${FLOOR_ITERATIONS})`);
    say(`one at a time, 200 deliveries            p50 ${ms(o.p50)}  p99 ${ms(o.p99)}  max ${ms(o.max)}`);
    say(`paced ${PER_SECOND}/s, ${PACED} deliveries           p50 ${ms(p.p50)}  p99 ${ms(p.p99)}  max ${ms(p.max)}  (${fmt(statuses)})`);
    say(`burst ${BURST}, ${IN_FLIGHT} in flight              p50 ${ms(b.p50)}  p99 ${ms(b.p99)}  max ${ms(b.max)}  (${fmt(burstStatuses)}; ${(BURST / burstSeconds).toFixed(0)}/s)`);
    say(`burst bookkeeping: ${unique.length} distinct deliveries → ${rows} rows, ${jobs} jobs, ${audits} audit events`);
    const exact = rows === unique.length && jobs === unique.length && audits === unique.length;
    say(`target: paced p99 < ${TARGET_P99_MS} ms → ${p.p99 < TARGET_P99_MS ? "met" : "MISSED"}; every delivery recorded exactly once → ${exact ? "yes" : "NO"}`);
    if (!exact) process.exitCode = 1;
  } finally {
    const { db } = await import("../lib/db/client");
    await db().$disconnect();
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
