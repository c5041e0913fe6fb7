import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anchorChainHead, readAnchorFile, verifyAnchors, type ChainAnchor } from "@/lib/audit/verify/anchor-chain-head";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { verifyFromCheckpoint } from "@/lib/audit/verify/verify-from-checkpoint";
import { buildChain, editEventSql, insertChainedEvents } from "../support/audit-chain";
import { createTestDatabase, type TestDatabase } from "../support/database";

describe("anchoring the chain head to an external sink", () => {
  const databases: TestDatabase[] = [];
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-anchor-"));
  });
  afterAll(async () => {
    await Promise.all(databases.map((t) => t.drop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function chainOf(count: number) {
    const t = await createTestDatabase();
    databases.push(t);
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(count));
    return t;
  }
  const append = async (t: TestDatabase, count: number) => {
    const [head] = await t.sql<{ sequence: string; hash: string }>(`SELECT sequence::text, hash FROM "AuditEvent" e ORDER BY e.sequence DESC LIMIT 1`);
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(count, { firstSequence: Number(head.sequence) + 1, prevHash: head.hash }));
  };
  const asAdmin = async (t: TestDatabase, ...statements: string[]) => {
    await t.sql(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    for (const statement of statements) await t.sql(statement);
    await t.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
  };
  const hashAt = async (t: TestDatabase, sequence: number) => (await t.sql<{ hash: string }>(`SELECT hash FROM "AuditEvent" WHERE sequence = $1`, [sequence]))[0].hash;

  it("appends the verified head to a JSON Lines file, once per head", async () => {
    const t = await chainOf(40);
    const file = path.join(dir, "nested", "anchors.jsonl");
    const first = await anchorChainHead(t.db, { file });
    expect(first).toMatchObject({ anchored: true, anchor: { version: 1, sequence: "40", hash: await hashAt(t, 40) }, sinks: [{ ok: true }] });
    await anchorChainHead(t.db, { file });
    expect(readAnchorFile(file)).toHaveLength(1);
    await append(t, 5);
    await anchorChainHead(t.db, { file });
    const anchors = readAnchorFile(file);
    expect(anchors.map((a) => a.sequence)).toEqual(["40", "45"]);
    expect(anchors[1].hash).toBe(await hashAt(t, 45));
    expect(await verifyAnchors(t.db, anchors)).toEqual({ ok: true, anchors: 2, confirmedThrough: "45", problems: [] });
  });

  it("shows a rewrite of the whole chain, which the chain itself and a wiped checkpoint table no longer can", async () => {
    const t = await chainOf(60);
    const file = path.join(dir, "rewrite.jsonl");
    await anchorChainHead(t.db, { file });
    await append(t, 10);
    await anchorChainHead(t.db, { file });
    // The admin rewrites every event with consistent hashes and removes the checkpoints.
    await asAdmin(t, `DELETE FROM "AuditEvent"`);
    await insertChainedEvents((text, params) => t.sql(text, params), buildChain(70, { actorLabel: "forger" }));
    await t.sql(`DELETE FROM "AuditCheckpoint"`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
    expect((await verifyFromCheckpoint(t.db)).ok).toBe(true);

    const check = await verifyAnchors(t.db, readAnchorFile(file));
    expect(check.ok).toBe(false);
    expect(check.confirmedThrough).toBeNull();
    expect(check.problems.map((p) => p.sequence)).toEqual(["60", "70"]);
    expect(check.problems[0].description).toMatch(/^event 60 no longer has the hash anchored at .*: the chain was rewritten up to it$/);
  });

  it("shows a chain cut back below an anchor", async () => {
    const t = await chainOf(30);
    const file = path.join(dir, "cut.jsonl");
    await anchorChainHead(t.db, { file });
    await asAdmin(t, `DELETE FROM "AuditEvent" WHERE sequence > 25`);
    const check = await verifyAnchors(t.db, readAnchorFile(file));
    expect(check).toMatchObject({ ok: false, problems: [{ sequence: "30", description: expect.stringMatching(/is missing: the chain was cut back$/) }] });
  });

  it("does not anchor a broken chain, or without a sink", async () => {
    const t = await chainOf(20);
    await asAdmin(t, editEventSql(12, "actorLabel", `"x"`));
    const file = path.join(dir, "broken.jsonl");
    expect(await anchorChainHead(t.db, { file })).toMatchObject({ anchored: false, reason: expect.stringMatching(/^the chain is broken at event 12/) });
    expect(fs.existsSync(file)).toBe(false);
    expect(await anchorChainHead(t.db, {})).toMatchObject({ anchored: false, reason: expect.stringMatching(/no anchor sink is configured/) });
  });

  it("posts the anchor to a webhook and reports a failing one without losing the file anchor", async () => {
    const t = await chainOf(15);
    const received: ChainAnchor[] = [];
    let status = 204;
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors`;
    try {
      const ok = await anchorChainHead(t.db, { webhook: url });
      expect(ok).toMatchObject({ anchored: true, sinks: [{ ok: true }] });
      expect(received).toEqual([ok.anchored ? ok.anchor : null]);
      status = 500;
      const file = path.join(dir, "with-webhook.jsonl");
      const failed = await anchorChainHead(t.db, { file, webhook: url });
      expect(failed).toMatchObject({ anchored: true, sinks: [{ ok: true }, { ok: false, error: "the webhook answered 500" }] });
      expect(readAnchorFile(file)).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});
