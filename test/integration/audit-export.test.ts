import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAuditEvent } from "@/lib/audit/chain/append-audit-event";
import { eventHash, GENESIS_HASH, type StoredEvent } from "@/lib/audit/chain/chain";
import {
  computeAuditExportManifest,
  createAuditExport,
  csvField,
  exportAuditEvents,
  exportQuerySchema,
  type AuditExportManifest,
} from "@/lib/audit/export/export-events";
import { parseCsv, verifyExport } from "@/lib/audit/export/verify-export";
import type { Db } from "@/lib/db/client";
import { insertChainedEvents } from "../support/audit-chain";
import { createTestDatabase, type TestDatabase } from "../support/database";

const root = path.resolve(import.meta.dirname, "../..");
const agent = { type: "agent", id: "review", label: "review agent" } as const;
const auditor = { type: "user", id: "u-auditor", label: "auditor@example.test" } as const;
const EVENTS = 250;
const runFor = (i: number) => ["run-a", "run-b", "run-c", null][i % 4];
/** Every seventh payload carries what CSV has to quote: commas, quotes and line breaks. */
const awkward = 'a, "quoted" value\nsecond line\r\nthird, é ✓ 😀';
const noteFor = (i: number) => (i % 7 === 0 ? awkward : "plain");

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

describe("audit export", () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase();
    for (let i = 1; i <= EVENTS; i++) {
      await t.db.$transaction((tx) =>
        appendAuditEvent(tx, {
          actor: agent,
          action: "test.appended",
          subject: { type: "test", id: i % 50 === 0 ? "" : String(i) },
          runId: runFor(i),
          // An empty string and null must stay apart through CSV, or the hash will not match.
          repositoryId: i % 3 === 0 ? "" : i % 3 === 1 ? "repo-1" : null,
          payload: { i, note: noteFor(i), nested: { z: 1, a: [i, "x,y"] } },
        }),
      );
      // Spread the events over time, so a time range can cut the chain in the middle.
      if (i % 10 === 0) await sleep(3);
    }
  });
  afterAll(async () => t?.drop());

  async function exportFile(query: Record<string, unknown>, batchSize = 17) {
    const file = await createAuditExport(t.db, exportQuerySchema.parse(query), auditor, { batchSize });
    const bytes = await readAll(file.stream);
    return { bytes, manifest: await file.manifest, through: file.throughSequence };
  }

  async function hashAt(sequence: number): Promise<string> {
    const [row] = await t.sql<{ hash: string }>(`SELECT hash FROM "AuditEvent" WHERE sequence = $1`, [sequence]);
    return row.hash;
  }

  it.each(["jsonl", "csv"] as const)("exports the whole chain as %s, and the file verifies against its manifest", async (format) => {
    const { bytes, manifest, through } = await exportFile({ format });
    expect(Number(through)).toBeGreaterThanOrEqual(EVENTS);
    const result = verifyExport(bytes, manifest);
    expect(result).toMatchObject({ ok: true, rows: Number(through), problems: [] });
    expect(manifest).toMatchObject({
      format,
      contiguous: true,
      rows: Number(through),
      throughSequence: through.toString(),
      firstSequence: "1",
      firstPrevHash: GENESIS_HASH,
      firstHash: await hashAt(1),
      lastSequence: through.toString(),
      lastHash: await hashAt(Number(through)),
      bytes: bytes.byteLength,
      sha256: sha256(bytes),
    });
    // The export recorded itself after its cap, so the file never contains its own event.
    const [recorded] = await t.sql<{ sequence: string; actorId: string; payload: Record<string, unknown> }>(
      `SELECT sequence, "actorId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'audit.exported' ORDER BY sequence DESC LIMIT 1`,
    );
    expect(BigInt(recorded.sequence)).toBeGreaterThan(through);
    expect(recorded).toMatchObject({ actorId: auditor.id, payload: { format, throughSequence: through.toString(), filter: { from: null, to: null, runIds: null } } });
    // The manifest endpoint's recomputation, given the cap, describes the very same bytes.
    const recomputed = await computeAuditExportManifest(t.db, exportQuerySchema.parse({ format, through: through.toString() }), { batchSize: 23 });
    expect({ ...recomputed, generatedAt: "" }).toEqual({ ...manifest, generatedAt: "" });
  });

  it.each(["jsonl", "csv"] as const)("writes the same bytes and manifest when read with COPY as with keyset pages (%s)", async (format) => {
    const [from, to] = await t.db.auditEvent.findMany({ where: { sequence: { in: [33n, 201n] } }, orderBy: { sequence: "asc" } });
    for (const filter of [{}, { from: from.occurredAt.toISOString(), to: to.occurredAt.toISOString() }]) {
      const query = exportQuerySchema.parse({ format, through: String(EVENTS), ...filter });
      const read = async (options: { databaseUrl?: string; batchSize?: number }) => {
        let text = "";
        for await (const chunk of exportAuditEvents(t.db, query, options)) text += chunk;
        return text;
      };
      const viaCopy = await read({ databaseUrl: t.url });
      expect(viaCopy).toBe(await read({ batchSize: 17 }));
      const manifest = await computeAuditExportManifest(t.db, query, { databaseUrl: t.url });
      expect({ ...manifest, generatedAt: "" }).toEqual({ ...(await computeAuditExportManifest(t.db, query, { batchSize: 17 })), generatedAt: "" });
      expect(verifyExport(viaCopy, manifest)).toMatchObject({ ok: true, problems: [] });
    }
  });

  it("writes every chained field, one JSON object per line", async () => {
    const { bytes } = await exportFile({ format: "jsonl", through: "7" });
    const lines = bytes.toString("utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(lines).toHaveLength(7);
    expect(Object.keys(lines[6])).toEqual([
      "sequence", "occurredAt", "actorType", "actorId", "actorLabel", "action", "subjectType", "subjectId", "runId", "repositoryId", "payload", "prevHash", "hash",
    ]);
    expect(lines[6]).toMatchObject({ sequence: "7", runId: null, repositoryId: "repo-1", payload: { i: 7, note: awkward }, prevHash: lines[5].hash });
  });

  it.each(["jsonl", "csv"] as const)("exports a time range as a contiguous slice that verifies link by link (%s)", async (format) => {
    const [from, to] = await t.db.auditEvent.findMany({ where: { sequence: { in: [80n, 180n] } }, orderBy: { sequence: "asc" } });
    const query = { format, from: from.occurredAt.toISOString(), to: to.occurredAt.toISOString() };
    const inRange = { occurredAt: { gte: from.occurredAt, lt: to.occurredAt } };
    const { _min, _max } = await t.db.auditEvent.aggregate({ where: inRange, _min: { sequence: true }, _max: { sequence: true } });
    const expected = { first: String(_min.sequence), last: String(_max.sequence) };
    const { bytes, manifest } = await exportFile(query);
    expect(verifyExport(bytes, manifest)).toMatchObject({ ok: true, problems: [] });
    expect(manifest).toMatchObject({
      contiguous: true,
      filter: { from: query.from, to: query.to, runIds: null },
      firstSequence: expected.first,
      lastSequence: expected.last,
      rows: Number(expected.last) - Number(expected.first) + 1,
      firstPrevHash: await hashAt(Number(expected.first) - 1),
    });
    expect(Number(expected.first)).toBeGreaterThan(1);
  });

  it.each(["jsonl", "csv"] as const)("exports an empty range as a file that still verifies (%s)", async (format) => {
    const { bytes, manifest } = await exportFile({ format, from: "2100-01-01T00:00:00Z" });
    expect(manifest).toMatchObject({ rows: 0, firstSequence: null, lastHash: null, contiguous: true });
    expect(bytes.toString("utf8")).toBe(format === "csv" ? "sequence,occurredAt,actorType,actorId,actorLabel,action,subjectType,subjectId,runId,repositoryId,payload,prevHash,hash\r\n" : "");
    expect(verifyExport(bytes, manifest)).toMatchObject({ ok: true, rows: 0 });
  });

  it("exports a set of runs as a non-contiguous file whose events each verify on their own", async () => {
    const { bytes, manifest, through } = await exportFile({ format: "jsonl", runId: "run-b,run-c" });
    const result = verifyExport(bytes, manifest);
    expect(result).toMatchObject({ ok: true, problems: [] });
    expect(manifest).toMatchObject({ contiguous: false, filter: { runIds: ["run-b", "run-c"] } });
    const events = bytes.toString("utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set(["run-b", "run-c"]));
    const [count] = await t.sql<{ n: string }>(
      `SELECT count(*) AS n FROM "AuditEvent" WHERE "runId" IN ('run-b', 'run-c') AND sequence <= $1`,
      [through.toString()],
    );
    expect(manifest.rows).toBe(Number(count.n));

    // A file of one run cannot pass as another run's export.
    const single = await exportFile({ format: "csv", runId: ["run-a"] });
    expect(verifyExport(single.bytes, single.manifest).ok).toBe(true);
    const claimsOtherRun = { ...single.manifest, filter: { ...single.manifest.filter, runIds: ["run-b"] } };
    expect(verifyExport(single.bytes, claimsOtherRun).problems.join("\n")).toMatch(/event 4 belongs to run run-a/);
  });

  describe("tampering", () => {
    let jsonl: { bytes: Buffer; manifest: AuditExportManifest };
    let csv: { bytes: Buffer; manifest: AuditExportManifest };
    beforeAll(async () => {
      jsonl = await exportFile({ format: "jsonl", through: String(EVENTS) });
      csv = await exportFile({ format: "csv", through: String(EVENTS) });
    });

    const lineOf = (text: string, sequence: number) => text.split("\n").findIndex((line) => line.startsWith(`{"sequence":"${sequence}"`));

    it("names the event whose payload was edited by one character", () => {
      const lines = jsonl.bytes.toString("utf8").split("\n");
      const at = lineOf(jsonl.bytes.toString("utf8"), 123);
      lines[at] = lines[at].replace('"note":"plain"', '"note":"plaim"');
      const result = verifyExport(lines.join("\n"), jsonl.manifest);
      expect(result.ok).toBe(false);
      expect(result.problems).toContain("event 123 does not match its hash: its content was edited");
      expect(result.problems.join("\n")).toMatch(/SHA-256/);
    });

    it("names the first missing sequence when a line is deleted", () => {
      const lines = jsonl.bytes.toString("utf8").split("\n");
      lines.splice(lineOf(jsonl.bytes.toString("utf8"), 60), 1);
      const result = verifyExport(lines.join("\n"), jsonl.manifest);
      expect(result.ok).toBe(false);
      expect(result.problems.join("\n")).toMatch(/sequence 60 is missing/);
      expect(result.problems).toContain(`the file has ${EVENTS - 1} events, the manifest says ${EVENTS}`);
    });

    it("notices a deleted first or last line, which the links alone cannot", () => {
      const lines = jsonl.bytes.toString("utf8").trimEnd().split("\n");
      expect(verifyExport(`${lines.slice(1).join("\n")}\n`, jsonl.manifest).problems.join("\n")).toMatch(/sequence 1 is missing/);
      expect(verifyExport(`${lines.slice(0, -1).join("\n")}\n`, jsonl.manifest).problems.join("\n")).toMatch(/last sequence is 249, the manifest says 250/);
    });

    it("notices reordered lines", () => {
      const lines = jsonl.bytes.toString("utf8").split("\n");
      const at = lineOf(jsonl.bytes.toString("utf8"), 90);
      [lines[at], lines[at + 1]] = [lines[at + 1], lines[at]];
      expect(verifyExport(lines.join("\n"), jsonl.manifest).problems.join("\n")).toMatch(/sequence 90 is missing/);
    });

    it("rejects a manifest whose hashes were changed", () => {
      const flip = (hash: string) => (hash[0] === "a" ? "b" : "a") + hash.slice(1);
      const wrongFile = verifyExport(jsonl.bytes, { ...jsonl.manifest, sha256: flip(jsonl.manifest.sha256) });
      expect(wrongFile.ok).toBe(false);
      expect(wrongFile.problems.join("\n")).toMatch(/the file's SHA-256 is .*, the manifest says/);
      const wrongLast = verifyExport(jsonl.bytes, { ...jsonl.manifest, lastHash: flip(jsonl.manifest.lastHash!) });
      expect(wrongLast.problems.join("\n")).toMatch(/last hash/);
      const wrongAnchor = verifyExport(csv.bytes, { ...csv.manifest, firstPrevHash: flip(GENESIS_HASH) });
      expect(wrongAnchor.ok).toBe(false);
    });

    it("names the event edited in a CSV file, and one edited in a non-contiguous export", async () => {
      const text = csv.bytes.toString("utf8");
      const row = text.indexOf("\r\n42,");
      const edited = `${text.slice(0, row)}${text.slice(row).replace("x,y", "x;y")}`;
      expect(verifyExport(edited, csv.manifest).problems).toContain("event 42 does not match its hash: its content was edited");

      const runs = await exportFile({ format: "jsonl", runId: "run-c" });
      const lines = runs.bytes.toString("utf8").split("\n");
      const at = lineOf(runs.bytes.toString("utf8"), 98);
      lines[at] = lines[at].replace('"i":98', '"i":97');
      expect(verifyExport(lines.join("\n"), runs.manifest).problems).toContain("event 98 does not match its hash: its content was edited");
    });

    it("reports a malformed manifest or file instead of throwing", () => {
      expect(verifyExport(jsonl.bytes, { rows: 3 }).problems[0]).toMatch(/^the manifest is not valid/);
      expect(verifyExport('{"sequence":"1"', jsonl.manifest).problems.join("\n")).toMatch(/row 1: not valid JSON/);
    });
  });

  it("quotes CSV fields so payloads with commas, quotes and line breaks come back intact", async () => {
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvField("")).toBe('""');
    expect(csvField(null)).toBe("");
    const { bytes } = await exportFile({ format: "csv", through: "30" });
    const [header, ...records] = [...parseCsv(bytes.toString("utf8"))];
    expect(header.map((f) => f.value)).toContain("payload");
    expect(records).toHaveLength(30);
    const column = (name: string) => header.findIndex((f) => f.value === name);
    const payloads = records.map((r) => JSON.parse(r[column("payload")].value));
    expect(payloads[13]).toEqual({ i: 14, note: awkward, nested: { z: 1, a: [14, "x,y"] } });
    expect(payloads.filter((p) => p.note === awkward)).toHaveLength(4);
    // Null and the empty string stay apart.
    expect(records[2][column("repositoryId")]).toEqual({ value: "", quoted: true });
    expect(records[1][column("repositoryId")]).toEqual({ value: "", quoted: false });
    expect(records[2][column("runId")]).toEqual({ value: "", quoted: false });
  });

  it("rejects invalid export queries with the fields named", () => {
    const result = exportQuerySchema.safeParse({ format: "xml", from: "yesterday", to: "2026-01-01T00:00:00Z" });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["format", "from"]));
    expect(exportQuerySchema.safeParse({ format: "csv", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }).error?.issues[0].path).toEqual(["to"]);
    expect(exportQuerySchema.parse({ format: "csv", runId: ["a,b", "b", " "] }).runId).toEqual(["a", "b"]);
  });

  describe("ctl audit verify-export", () => {
    const run = promisify(execFile);
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-audit-export-"));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the command with a database URL that cannot work, proving it never opens one. */
    async function ctl(file: string, manifest: string) {
      try {
        const { stdout } = await run("node", ["--import", "tsx", "scripts/ctl.ts", "audit", "verify-export", file, manifest], {
          cwd: root,
          env: { ...process.env, DATABASE_URL: "postgresql://nobody@127.0.0.1:1/nothing" },
        });
        return { code: 0, stdout };
      } catch (error) {
        const failed = error as { code: number; stdout: string; stderr: string };
        return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
      }
    }

    it("exits 0 for an intact export and 1, naming the event, for a tampered one", async () => {
      const { bytes, manifest } = await exportFile({ format: "csv", through: String(EVENTS) });
      const file = path.join(dir, "audit.csv");
      const manifestFile = path.join(dir, "audit.manifest.json");
      fs.writeFileSync(file, bytes);
      fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
      const good = await ctl(file, manifestFile);
      expect(good).toMatchObject({ code: 0 });
      expect(good.stdout).toBe(`export verified: ${EVENTS} events, sequences 1–${EVENTS}, SHA-256 ${sha256(bytes)}\n`);

      const text = bytes.toString("utf8");
      const row = text.indexOf("\r\n77,");
      fs.writeFileSync(file, `${text.slice(0, row)}${text.slice(row).replace("x,y", "x;y")}`);
      const tampered = await ctl(file, manifestFile);
      expect(tampered.code).toBe(1);
      expect(tampered.stdout).toMatch(/^export NOT verified:\n/);
      expect(tampered.stdout).toMatch(/SHA-256/);
      expect(tampered.stdout).toMatch(/event 77 does not match its hash/);
    });

    it("exits 1 with a clear message for a missing file", async () => {
      const result = await ctl(path.join(dir, "missing.csv"), path.join(dir, "missing.json"));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/cannot read .*missing\.csv/);
    });
  });

  describe("HTTP endpoints", () => {
    type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
    let exportRoute: Handler;
    let manifestRoute: Handler;
    let tokens: { auditor: string; reader: string };
    const segment = { params: Promise.resolve({}) };
    const get = (handler: Handler, url: string, token: string) =>
      handler(new Request(new URL(url, "http://flowgate.test"), { headers: { authorization: `Bearer ${token}` } }), segment);

    beforeAll(async () => {
      // The handlers use the process-wide client, which reads DATABASE_URL on first use.
      process.env.DATABASE_URL = t.url;
      process.env.NEXTAUTH_SECRET ??= "audit-export-test-secret-0123456789abcdef";
      exportRoute = (await import("@/app/api/v1/audit/export/route")).GET as Handler;
      manifestRoute = (await import("@/app/api/v1/audit/export/manifest/route")).GET as Handler;
      const { createUser, createUserSchema } = await import("@/lib/users/create-user");
      const { createApiToken } = await import("@/lib/auth/api-tokens");
      const system = { type: "system", id: "test", label: "test" } as const;
      const token = async (role: "auditor" | "manager", scope: "audit:read" | "runs:read") => {
        const user = await createUser(t.db, { input: createUserSchema.parse({ email: `${role}@example.test`, role, password: "correct horse battery" }), actor: system });
        return (await createApiToken(t.db, { userId: user.id, input: { name: role, scopes: [scope] }, actor: system })).token;
      };
      tokens = { auditor: await token("auditor", "audit:read"), reader: await token("manager", "runs:read") };
    });
    afterAll(async () => {
      const { db } = await import("@/lib/db/client");
      await db().$disconnect();
    });

    it("streams the file, records who exported it, and links to a manifest that matches it", async () => {
      const response = await get(exportRoute, "/api/v1/audit/export?format=jsonl&runId=run-a", tokens.auditor);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-ndjson");
      const through = response.headers.get("x-audit-export-through")!;
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="flowgate-audit-through-${through}.jsonl"`);
      const link = /^<([^>]+)>; rel="describedby"$/.exec(response.headers.get("link") ?? "")?.[1];
      expect(link).toBe(`/api/v1/audit/export/manifest?format=jsonl&runId=run-a&through=${through}`);
      const body = Buffer.from(await response.arrayBuffer());

      const manifestResponse = await get(manifestRoute, link!, tokens.auditor);
      expect(manifestResponse.status).toBe(200);
      const manifest = await manifestResponse.json();
      expect(verifyExport(body, manifest)).toMatchObject({ ok: true, rows: Math.floor(EVENTS / 4) });

      const [recorded] = await t.sql<{ actorLabel: string; payload: Record<string, unknown> }>(
        `SELECT "actorLabel", content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'audit.exported' ORDER BY sequence DESC LIMIT 1`,
      );
      expect(recorded.actorLabel).toMatch(/^auditor@example\.test \(API token /);
      expect(recorded.payload).toEqual({ format: "jsonl", filter: { from: null, to: null, runIds: ["run-a"] }, throughSequence: through });
    });

    it("answers 422 for an invalid query and 403 without audit:read", async () => {
      const invalid = await get(exportRoute, "/api/v1/audit/export?format=xml", tokens.auditor);
      expect(invalid.status).toBe(422);
      expect((await invalid.json()).error.fields[0].path).toBe("format");
      expect((await get(exportRoute, "/api/v1/audit/export?format=csv", tokens.reader)).status).toBe(403);
      expect((await get(manifestRoute, "/api/v1/audit/export/manifest?format=csv", tokens.reader)).status).toBe(403);
    });
  });
});

describe("audit export memory", () => {
  let t: TestDatabase;
  const COUNT = 20_000;
  const BATCH = 500;

  /** Builds a valid chain in JS and inserts it set-wise: appending 20k events one by one is slow. */
  async function insertChain(count: number) {
    let prevHash = GENESIS_HASH;
    const start = Date.UTC(2026, 0, 1);
    for (let from = 1; from <= count; from += 1000) {
      const events: StoredEvent[] = [];
      for (let i = from; i < Math.min(from + 1000, count + 1); i++) {
        const content = {
          sequence: BigInt(i),
          occurredAt: new Date(start + i),
          actorType: "system",
          actorId: "memory",
          actorLabel: "memory test",
          action: "test.bulk",
          subjectType: "test",
          subjectId: String(i),
          runId: `run-${i % 10}`,
          repositoryId: null,
          payload: { i },
        };
        const hash = eventHash(prevHash, content);
        events.push({ ...content, prevHash, hash });
        prevHash = hash;
      }
      await insertChainedEvents(t.sql, events);
    }
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    await insertChain(COUNT);
  });
  afterAll(async () => t?.drop());

  it("reads one keyset page per chunk the reader pulls, never more than one batch at a time", async () => {
    const fetches: { take: unknown; skip: unknown; after: bigint; rows: number }[] = [];
    // Counts what each query returns; the generator can only hold what it fetched.
    const counting = new Proxy(t.db, {
      get(target, property, receiver) {
        if (property !== "auditEvent") return Reflect.get(target, property, receiver);
        const auditEvent = target.auditEvent;
        return new Proxy(auditEvent, {
          get(delegate, method) {
            if (method !== "findMany") return Reflect.get(delegate, method);
            return async (args: { take?: number; skip?: number; where: { sequence: { gt: bigint } } }) => {
              const rows = await delegate.findMany(args as never);
              fetches.push({ take: args.take, skip: args.skip, after: args.where.sequence.gt, rows: rows.length });
              return rows;
            };
          },
        });
      },
    }) as Db;

    const query = exportQuerySchema.parse({ format: "jsonl" });
    const digest = createHash("sha256");
    let chunks = 0;
    let lines = 0;
    for await (const chunk of exportAuditEvents(counting, query, { batchSize: BATCH })) {
      chunks += 1;
      // Lazy: the page for this chunk is the last one fetched; nothing was read ahead.
      expect(fetches).toHaveLength(chunks);
      const chunkLines = chunk.split("\n").length - 1;
      expect(chunkLines).toBeLessThanOrEqual(BATCH);
      lines += chunkLines;
      digest.update(chunk);
    }
    expect(lines).toBe(COUNT);
    expect(fetches).toHaveLength(COUNT / BATCH);
    expect(Math.max(...fetches.map((f) => f.rows))).toBe(BATCH);
    expect(fetches.every((f) => f.take === BATCH && f.skip === undefined)).toBe(true);
    // Keyset: each page starts after the last sequence of the page before it.
    expect(fetches.map((f) => f.after)).toEqual(fetches.map((_, i) => BigInt(i * BATCH)));

    const manifest = await computeAuditExportManifest(t.db, query, { batchSize: BATCH });
    expect(manifest).toMatchObject({ rows: COUNT, sha256: digest.digest("hex"), lastSequence: String(COUNT) });
  });

  it("verifies a 20k-event export end to end", async () => {
    const file = await createAuditExport(t.db, exportQuerySchema.parse({ format: "csv" }), auditor, { batchSize: BATCH });
    const bytes = await readAll(file.stream);
    expect(verifyExport(bytes, await file.manifest)).toMatchObject({ ok: true, rows: COUNT });
  });
});
