import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/append-audit-event";
import { verifyAuditChain } from "@/lib/audit/verify-audit-chain";
import { createPrismaClient } from "@/lib/db/client";
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
        clients[i % clients.length].$transaction((tx) =>
          appendAuditEvent(tx, { actor, action: "test.appended", subject: { type: "test", id: String(i) }, payload: { i, nested: { z: 1, a: 2 } } }),
        ),
      ),
    );
    await Promise.all(clients.map((c) => c.$disconnect()));
    const rows = await t.sql<{ sequence: string }>(`SELECT sequence FROM "AuditEvent" ORDER BY sequence`);
    expect(rows.map((r) => Number(r.sequence))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const status = await verifyAuditChain(t.db, { batchSize: 7 });
    expect(status).toMatchObject({ ok: true, verifiedThrough: "60", eventsChecked: 60, broken: null });
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
    await t.sql(`UPDATE "AuditEvent" SET payload = '{"i": 999}' WHERE sequence = 17`);
    await t.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const status = await verifyAuditChain(t.db, { batchSize: 5 });
    expect(status.ok).toBe(false);
    expect(status.verifiedThrough).toBe("16");
    expect(status.broken).toMatchObject({ kind: "content", sequence: 17n });
    expect(status.broken?.description).toMatch(/event 17 .*edited/);
  });
});
