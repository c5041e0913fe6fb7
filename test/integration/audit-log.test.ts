import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/chain/append-audit-event";
import { getFullVerification, runFullVerification, startFullVerification } from "@/lib/audit/verify/run-full-verification";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { verifyFromCheckpoint } from "@/lib/audit/verify/verify-from-checkpoint";
import { createPrismaClient } from "@/lib/db/client";
import { buildChain, editEventSql, insertChainedEvents } from "../support/audit-chain";
import { createTestDatabase, type TestDatabase } from "../support/database";

const actor = { type: "agent", id: "review", label: "review agent" } as const;

describe("audit log on PostgreSQL", () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("keeps one unbroken chain when many connections append at once", async () => {
    // Separate clients, so the appends really race on separate connections.
    const clients = Array.from({ length: 4 }, () => createPrismaClient(t.url));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        clients[i % clients.length].$transaction(
          (tx) => appendAuditEvent(tx, { actor, action: "test.appended", subject: { type: "test", id: String(i) }, payload: { i, nested: { z: 1, a: 2 } } }),
          // The appends queue on one lock; on a busy machine the last may wait for seconds. This
          // test is about the chain they leave, not how fast they get through.
          { maxWait: 30_000, timeout: 30_000 },
        ),
      ),
    );
    await Promise.all(clients.map((c) => c.$disconnect()));
    const rows = await t.sql<{ sequence: string }>(`SELECT sequence FROM "AuditEvent" ORDER BY sequence`);
    expect(rows.map((r) => Number(r.sequence))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const status = await verifyAuditChain(t.db, { batchSize: 7 });
    expect(status).toMatchObject({ ok: true, verifiedThrough: "60", eventsChecked: 60, broken: null });
  });

  it("links a transaction's later events to its own earlier ones while others race to append", async () => {
    const before = Number((await t.sql<{ n: string }>(`SELECT count(*)::text AS n FROM "AuditEvent"`))[0].n);
    const clients = Array.from({ length: 3 }, () => createPrismaClient(t.url));
    await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        clients[i % clients.length].$transaction(
          async (tx) => {
            // Only the first append takes the lock and reads the head; the next two reuse what it wrote.
            for (const step of [1, 2, 3]) await appendAuditEvent(tx, { actor, action: "test.multi", subject: { type: "test", id: `${i}.${step}` }, payload: { i, step } });
          },
          { maxWait: 30_000, timeout: 30_000 },
        ),
      ),
    );
    await Promise.all(clients.map((c) => c.$disconnect()));
    const rows = await t.sql<{ subjectId: string }>(`SELECT "subjectId" FROM "AuditEvent" WHERE sequence > ${before} ORDER BY sequence`);
    expect(rows).toHaveLength(45);
    // Each transaction's three events are consecutive: nobody appended between them.
    for (let k = 0; k < 45; k += 3) expect(rows.slice(k, k + 3).map((r) => r.subjectId.split(".")[1])).toEqual(["1", "2", "3"]);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, eventsChecked: before + 45, broken: null });
  });

  it("writes nothing when the surrounding transaction rolls back", async () => {
    const before = await t.db.auditEvent.count();
    await expect(
      t.db.$transaction(async (tx) => {
        await appendAuditEvent(tx, { actor, action: "test.rolled_back", subject: { type: "test", id: "x" }, payload: {} });
        throw new Error("the change failed");
      }),
    ).rejects.toThrow("the change failed");
    expect(await t.db.auditEvent.count()).toBe(before);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });

  it("reports the exact event a database admin edited behind the trigger's back", async () => {
    await t.sql(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    await t.sql(editEventSql(17, "payload", `{"i": 999}`));
    await t.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const status = await verifyAuditChain(t.db, { batchSize: 5 });
    expect(status.ok).toBe(false);
    expect(status.verifiedThrough).toBe("16");
    expect(status.broken).toMatchObject({ kind: "content", sequence: 17n });
    expect(status.broken?.description).toMatch(/event 17 .*edited/);
  });
});

/** Payloads whose canonical form is easy to get wrong: key order by code unit, escapes, unicode, nesting, numbers. */
const awkwardPayloads: Record<string, unknown>[] = [
  { b: 1, a: 2, B: 3, _: 4, "": 5, é: 6, "😀": 7, "a b": 8 },
  { text: 'quote " backslash \\ tab \t newline \n cr \r nul-ish \u0001 end', unicode: "Grüße ✓ 😀 \u2028" },
  { nested: { z: [3, { y: null, x: [true, false] }], a: { c: "", b: [] } }, empty: {} },
  { numbers: [0, -0, 1.5, -2.25e-7, 1e21, 12345678901234567890, 0.1 + 0.2] },
  { keyOrder: { aa: 1, a: 2, ab: 3, b: 4, ba: 5, "10": 6, "9": 7, A: 8 } },
];

describe("verifying the chain", () => {
  const admin = { type: "user", id: "u-auditor", label: "auditor@example.com" } as const;

  /** What a malicious database admin does: the same statement, with the append-only trigger off. */
  async function behindTheTriggersBack(t: TestDatabase, ...statements: string[]) {
    await t.sql(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    for (const statement of statements) await t.sql(statement);
    await t.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
  }

  async function chainOf(count: number, firstSequence = 1) {
    const t = await createTestDatabase();
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(count, { firstSequence }));
    return t;
  }

  const databases: TestDatabase[] = [];
  const fresh = async (count: number) => {
    const t = await chainOf(count);
    databases.push(t);
    return t;
  };
  afterAll(async () => Promise.all(databases.map((t) => t.drop())));

  it("reads the same chain the appender wrote, through Prisma pages and through COPY, awkward payloads included", async () => {
    const t = await fresh(0);
    for (const [i, payload] of [...awkwardPayloads, ...awkwardPayloads].entries()) {
      await t.db.$transaction((tx) =>
        appendAuditEvent(tx, {
          actor: { type: "user", id: `u\t${i}`, label: `Name "with" quotes\nand a line break ${i}` },
          action: "test.awkward",
          subject: { type: "test", id: "" },
          runId: i % 2 === 0 ? null : `run\\${i}`,
          repositoryId: i % 3 === 0 ? "" : null,
          payload,
        }),
      );
    }
    const count = awkwardPayloads.length * 2;
    expect(await verifyAuditChain(t.db, { batchSize: 3 })).toMatchObject({ ok: true, verifiedThrough: String(count), eventsChecked: count });
    expect(await verifyAuditChain(t.db, { databaseUrl: t.url })).toMatchObject({ ok: true, verifiedThrough: String(count), eventsChecked: count });
    // Editing one character of one awkward payload is seen by both readers.
    await behindTheTriggersBack(t, editEventSql(2, "payload,unicode", `"Grüße ✓ 😀 "`));
    for (const options of [{}, { databaseUrl: t.url }]) {
      expect((await verifyAuditChain(t.db, options)).broken).toMatchObject({ kind: "content", sequence: 2n });
    }
  });

  it.each([
    ["an edited row", editEventSql(40, "actorLabel", `"someone else"`), { kind: "content", sequence: 40n }, "39"],
    // An admin who knows the format keeps the content canonical: same result.
    ["an edited row, still canonical JSON", `UPDATE "AuditEvent" SET content = replace(content, '"risk":0', '"risk":9') WHERE sequence = 40`, { kind: "content", sequence: 40n }, "39"],
    ["a deleted row", `DELETE FROM "AuditEvent" WHERE sequence = 30`, { kind: "gap", sequence: 31n, expected: 30n }, "29"],
  ])("names the exact sequence of %s, with either reader", async (_name, statement, broken, intactThrough) => {
    const t = await fresh(120);
    await behindTheTriggersBack(t, statement);
    for (const options of [{ batchSize: 16 }, { databaseUrl: t.url }]) {
      const status = await verifyAuditChain(t.db, options);
      expect(status).toMatchObject({ ok: false, verifiedThrough: intactThrough, broken });
    }
  });

  it("names the first of a reordered pair", async () => {
    const t = await fresh(60);
    await behindTheTriggersBack(
      t,
      // The sequence is generated from the content, so a swap rewrites the content's.
      `UPDATE "AuditEvent" SET content = replace(content, '"sequence":"20"', '"sequence":"-1"') WHERE sequence = 20`,
      `UPDATE "AuditEvent" SET content = replace(content, '"sequence":"21"', '"sequence":"20"') WHERE sequence = 21`,
      `UPDATE "AuditEvent" SET content = replace(content, '"sequence":"-1"', '"sequence":"21"') WHERE sequence = -1`,
    );
    for (const options of [{}, { databaseUrl: t.url }]) {
      expect(await verifyAuditChain(t.db, options)).toMatchObject({ ok: false, verifiedThrough: "19", broken: { kind: "link", sequence: 20n } });
    }
  });

  it("verifies from the newest checkpoint, hashing only the events after it, and records a new one", async () => {
    const t = await fresh(200);
    const first = await verifyFromCheckpoint(t.db);
    expect(first).toMatchObject({ ok: true, startedFrom: null, verifiedThrough: "200", eventsChecked: 200, recorded: { sequence: "200", mode: "incremental" } });
    const again = await verifyFromCheckpoint(t.db, { databaseUrl: t.url });
    expect(again).toMatchObject({ ok: true, startedFrom: { sequence: "200" }, verifiedThrough: "200", eventsChecked: 0, recorded: null });

    const [head] = await t.sql<{ hash: string }>(`SELECT hash FROM "AuditEvent" WHERE sequence = 200`);
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(25, { firstSequence: 201, prevHash: head.hash }));
    const after = await verifyFromCheckpoint(t.db);
    expect(after).toMatchObject({ ok: true, startedFrom: { sequence: "200" }, verifiedThrough: "225", eventsChecked: 25, recorded: { sequence: "225" } });
    expect(await t.sql(`SELECT sequence::text, mode::text FROM "AuditCheckpoint" c ORDER BY c.sequence`)).toEqual([
      { sequence: "200", mode: "incremental" },
      { sequence: "225", mode: "incremental" },
    ]);
  });

  it("finds a row tampered with after the checkpoint incrementally, and one before it only with a full run", async () => {
    const t = await fresh(300);
    expect((await verifyFromCheckpoint(t.db)).recorded?.sequence).toBe("300");
    const [head] = await t.sql<{ hash: string }>(`SELECT hash FROM "AuditEvent" WHERE sequence = 300`);
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(50, { firstSequence: 301, prevHash: head.hash }));

    // After the checkpoint: the incremental run reads it and names it.
    await behindTheTriggersBack(t, editEventSql(321, "payload", `{"forged": true}`));
    const incremental = await verifyFromCheckpoint(t.db, { databaseUrl: t.url });
    expect(incremental).toMatchObject({ ok: false, eventsChecked: 20, verifiedThrough: "320", broken: { sequence: "321", kind: "content", foundBy: "incremental" }, recorded: null });
  });

  it("finds a row tampered with before the checkpoint with a full run, and keeps reporting it", async () => {
    const t = await fresh(300);
    expect((await verifyFromCheckpoint(t.db)).recorded?.sequence).toBe("300");
    await behindTheTriggersBack(t, editEventSql(123, "actorLabel", `"nobody"`));
    // Before the checkpoint the incremental run does not look: that is what a full run is for.
    expect(await verifyFromCheckpoint(t.db)).toMatchObject({ ok: true, eventsChecked: 0 });

    const { verification, finished } = await startFullVerification(t.db, { requestedBy: admin, databaseUrl: t.url });
    expect(verification).toMatchObject({ status: "running", targetSequence: "300", requestedBy: admin.label });
    const result = await finished!;
    expect(result).toMatchObject({ status: "broken", verifiedThrough: "122", eventsChecked: 122, broken: { sequence: "123", kind: "content" }, finishedAt: expect.any(String) });
    expect(await getFullVerification(t.db, verification.id)).toEqual(result);

    const status = await verifyFromCheckpoint(t.db);
    expect(status).toMatchObject({ ok: false, verifiedThrough: "122", broken: { sequence: "123", kind: "content", foundBy: "full" }, lastFull: { id: verification.id } });
  });

  it("reports a chain rewritten up to the checkpoint without reading it all", async () => {
    const t = await fresh(100);
    await verifyFromCheckpoint(t.db);
    // A rewrite that recomputes every hash is self-consistent; the checkpoint's hash is not.
    const forged = buildChain(100, { actorLabel: "forger" });
    await behindTheTriggersBack(t, `DELETE FROM "AuditEvent"`);
    await insertChainedEvents((text, params) => t.sql(text, params), forged);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
    const status = await verifyFromCheckpoint(t.db);
    expect(status).toMatchObject({ ok: false, eventsChecked: 0, broken: { sequence: "100", kind: "rewritten", foundBy: "incremental" } });
    expect(status.broken?.description).toMatch(/event 100 no longer has the hash the incremental verification of .* recorded/);
  });

  it("runs one full verification at a time, records a full checkpoint, and writes progress while it runs", async () => {
    const t = await fresh(2500);
    const first = await startFullVerification(t.db, { requestedBy: admin, databaseUrl: t.url });
    const second = await startFullVerification(t.db, { requestedBy: { ...admin, id: "u-2", label: "second@example.com" } });
    expect(second).toMatchObject({ verification: { id: first.verification.id }, finished: null });
    expect(await first.finished).toMatchObject({ status: "verified", progress: 1, verifiedThrough: "2500", eventsChecked: 2500 });
    expect(await t.sql(`SELECT sequence::text, mode::text FROM "AuditCheckpoint"`)).toEqual([{ sequence: "2500", mode: "full" }]);

    // Progress: a run over Prisma pages of 100, allowed to write its progress after every page.
    const [row] = await t.sql<{ id: string }>(
      `INSERT INTO "AuditVerification" (id, "requestedById", "requestedBy", "targetSequence") VALUES ('progress-run', 'u', 'u', 2500) RETURNING id`,
    );
    const written: { eventsChecked: number; progress: number; stored: number }[] = [];
    const done = await runFullVerification(t.db, row.id, {
      batchSize: 100,
      progressEveryMs: 0,
      onProgress: async (view) => {
        const [stored] = await t.sql<{ eventsChecked: number }>(`SELECT "eventsChecked" FROM "AuditVerification" WHERE id = $1`, [row.id]);
        written.push({ eventsChecked: view.eventsChecked, progress: view.progress, stored: stored.eventsChecked });
      },
    });
    expect(done.status).toBe("verified");
    expect(written).toHaveLength(25);
    expect(written.slice(0, 3)).toEqual([
      { eventsChecked: 100, progress: 0.04, stored: 100 },
      { eventsChecked: 200, progress: 0.08, stored: 200 },
      { eventsChecked: 300, progress: 0.12, stored: 300 },
    ]);
  });

  it("marks a run whose process died as abandoned, so a new one can start", async () => {
    const t = await fresh(10);
    await t.sql(
      `INSERT INTO "AuditVerification" (id, "requestedById", "requestedBy", "targetSequence", "progressAt") VALUES ('dead', 'u', 'u', 10, now() - interval '5 minutes')`,
    );
    expect(await getFullVerification(t.db, "dead")).toMatchObject({ status: "failed", error: expect.stringMatching(/^abandoned/) });
    const { verification, finished } = await startFullVerification(t.db, { requestedBy: admin });
    expect(verification.id).not.toBe("dead");
    expect(await finished).toMatchObject({ status: "verified" });
  });
});
