/**
 * Audit chain verification: the full-chain rate (events/s) next to the raw SHA-256 rate of the
 * very bytes the chain hashes (each event's previous hash and stored content), in the same process,
 * plus where the rest of the time goes and what an incremental verification from a checkpoint
 * costs. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/audit-verify.ts                 # 2M events
 *   AUDIT_BENCH_EVENTS=200000 node --import tsx bench/audit-verify.ts
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { sha256Hex } from "../lib/audit/chain/chain";
import { recordCheckpoint } from "../lib/audit/chain/checkpoints";
import { walkCopy, type EventVisitor } from "../lib/audit/verify/walk-stored-chain";
import { verifyAuditChain } from "../lib/audit/verify/verify-audit-chain";
import { verifyFromCheckpoint } from "../lib/audit/verify/verify-from-checkpoint";
import { createPrismaClient } from "../lib/db/client";
import { startEmbeddedPostgres } from "../lib/db/embedded";
import { migrateDatabase } from "../lib/db/migrations";
import { chainBatches, insertChainedEvents } from "../test/support/audit-chain";
import { AUDIT_BENCH_PAYLOADS } from "./support/audit-dataset";
import { settledPostgresCpuMs } from "./support/postgres-cpu";

const root = path.resolve(import.meta.dirname, "..");
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS || 2_000_000);
const say = (line: string) => process.stdout.write(`${line}\n`);
const micros = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;
const perSecond = (events: number) => `${Math.round(events).toLocaleString("en").padStart(9)} events/s`;
const rate = (events: number, ms: number) => perSecond(events / (ms / 1000));

async function main() {
  const dataDir = path.join(root, ".test-data", `bench-audit-verify-${process.pid}`);
  say(`starting embedded PostgreSQL in ${path.relative(root, dataDir)} and migrating...`);
  const database = await startEmbeddedPostgres({ dataDir });
  const client = new pg.Client({ connectionString: database.databaseUrl });
  const db = createPrismaClient(database.databaseUrl);
  try {
    await migrateDatabase(database.databaseUrl);
    await client.connect();
    let started = performance.now();
    for (const batch of chainBatches(EVENTS, { payloads: AUDIT_BENCH_PAYLOADS })) await insertChainedEvents((text, params) => client.query(text, params), batch);
    await client.query(`VACUUM ANALYZE "AuditEvent"`);
    say(`inserted a valid chain of ${EVENTS.toLocaleString("en")} events (${AUDIT_BENCH_PAYLOADS} payloads) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // Warm-up: one read of every row, so no contender pays for the first cold read.
    const readAll = async (probe: EventVisitor, afterBatch = () => {}) => {
      for await (const walked of walkCopy(database.databaseUrl, { afterSequence: 0n }, probe)) {
        void walked;
        afterBatch();
      }
    };
    await readAll(nullProbe());

    // 1. The whole verifier: binary COPY, decoding, SHA-256, link checks. Three runs, the median
    // counts (the first also warms up the JIT).
    // The CPU both sides spend on it is measured too: PostgreSQL's (its backends are other processes
    // on this machine) and this process's.
    const clusterDir = path.join(dataDir, "pg");
    const verifyRuns: { ms: number; postgresCpuMs: number; nodeCpuMs: number }[] = [];
    for (let run = 0; run < 3; run++) {
      const postgresBefore = await settledPostgresCpuMs(clusterDir);
      const nodeBefore = process.cpuUsage();
      started = performance.now();
      const full = await verifyAuditChain(db, { databaseUrl: database.databaseUrl });
      const ms = performance.now() - started;
      const nodeCpu = process.cpuUsage(nodeBefore);
      verifyRuns.push({ ms, postgresCpuMs: (await settledPostgresCpuMs(clusterDir)) - postgresBefore, nodeCpuMs: (nodeCpu.user + nodeCpu.system) / 1000 });
      if (!full.ok || full.eventsChecked !== EVENTS) throw new Error(`the benchmark's own chain does not verify: ${JSON.stringify(full.broken)}`);
    }
    const median = [...verifyRuns].sort((a, b) => a.ms - b.ms)[1];
    const verifyMs = median.ms;
    const cpuPerEvent = { postgres: median.postgresCpuMs / EVENTS, node: median.nodeCpuMs / EVENTS };

    // 2. The same reading, timing only SHA-256 of each event's bytes, already in memory as one
    // Buffer each (the raw rate): the probe keeps a copy of each event's bytes, hashed per batch.
    let shaMs = 0;
    let bytes = 0;
    const inputs: Buffer[] = [];
    await readAll({ broken: null, visit: (_sequence, _prevHash, _hash, hashInput) => inputs.push(Buffer.from(hashInput)) > 0 }, () => {
      const before = performance.now();
      for (const input of inputs) sha256Hex(input);
      shaMs += performance.now() - before;
      for (const input of inputs) bytes += input.length;
      inputs.length = 0;
    });

    // 3. COPY and decoding alone (no hashing, no link checks).
    const counter = nullProbe();
    started = performance.now();
    await readAll(counter);
    const copyMs = performance.now() - started;
    const copied = counter.events;

    // 4. The Prisma keyset reader the verifier used before COPY, on the first 200k events.
    const prismaEvents = Math.min(EVENTS, 200_000);
    started = performance.now();
    await verifyAuditChain(db, { through: BigInt(prismaEvents) });
    const prismaMs = performance.now() - started;

    say("");
    say(`full-chain verification of ${EVENTS.toLocaleString("en")} events (${(bytes / 1024 / 1024).toFixed(0)} MB hashed)`);
    say(`  verifyAuditChain (binary COPY)  ${rate(EVENTS, verifyMs)}  ${(verifyMs / 1000).toFixed(1)} s  (median of 3: ${verifyRuns.map((run) => (run.ms / 1000).toFixed(2)).join(" / ")} s)`);
    say(`  raw SHA-256 of the same bytes   ${rate(EVENTS, shaMs)}  (one crypto.hash per event, as the chain needs)  → verification at ${((shaMs / verifyMs) * 100).toFixed(0)}% of it`);
    say(`  of which: COPY + decoding alone ${rate(copied, copyMs)}`);
    say(`  CPU per event in that run: PostgreSQL ${micros(cpuPerEvent.postgres)}, this process ${micros(cpuPerEvent.node)} (of which SHA-256 ${micros(shaMs / EVENTS)})`);
    // The verifier reads with one backend and one thread, which can at best overlap; no design that
    // reads every event from PostgreSQL at these costs beats all cores busy with nothing else.
    const cores = os.availableParallelism();
    const rawRate = EVENTS / (shaMs / 1000);
    const ceiling = (eventsPerSecond: number) => `${perSecond(eventsPerSecond)} (${((eventsPerSecond / rawRate) * 100).toFixed(0)}% of raw)`;
    say(
      `  ceiling at these costs: ${ceiling(1000 / Math.max(cpuPerEvent.postgres, cpuPerEvent.node))} with the two sides overlapped, ` +
        `${ceiling((cores * 1000) / (cpuPerEvent.postgres + cpuPerEvent.node))} with all ${cores} cores busy`,
    );
    say(`  Prisma keyset pages             ${rate(prismaEvents, prismaMs)}  (first ${prismaEvents.toLocaleString("en")} events; what the incremental check reads)`);

    // 5. Incremental: a checkpoint at the head, then 1000 more events.
    const [head] = (await client.query(`SELECT sequence::text, hash FROM "AuditEvent" e ORDER BY e.sequence DESC LIMIT 1`)).rows as { sequence: string; hash: string }[];
    await recordCheckpoint(db, { sequence: BigInt(head.sequence), hash: head.hash, mode: "full", eventsChecked: EVENTS });
    for (const batch of chainBatches(1000, { firstSequence: EVENTS + 1, prevHash: head.hash, payloads: AUDIT_BENCH_PAYLOADS })) await insertChainedEvents((text, params) => client.query(text, params), batch);
    started = performance.now();
    const incremental = await verifyFromCheckpoint(db);
    const incrementalMs = performance.now() - started;
    started = performance.now();
    await verifyFromCheckpoint(db);
    const nothingNewMs = performance.now() - started;
    say("");
    say(`incremental verification from a checkpoint at ${EVENTS.toLocaleString("en")}: 1000 new events ${incrementalMs.toFixed(0)} ms (${incremental.eventsChecked} checked, ok ${incremental.ok}); nothing new ${nothingNewMs.toFixed(0)} ms`);
  } finally {
    await db.$disconnect().catch(() => {});
    await client.end().catch(() => {});
    await database.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Takes every event and does nothing with it. */
function nullProbe() {
  return {
    broken: null,
    events: 0,
    visit() {
      this.events += 1;
      return true;
    },
  };
}

await main();
