import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSampleBundle, drawSample, sampleQuerySchema, type SampleManifest } from "@/lib/audit/export/sample-changes";
import { verifyExport } from "@/lib/audit/export/verify-export";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { cleanDiff } from "../support/diffs";
import { pdfPageTexts } from "../support/pdf-text";

const auditor = { type: "user", id: "u-auditor", label: "auditor@example.com" } as const;
const system = { type: "system", id: "test", label: "test intake" } as const;
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const RUNS = 9;

describe("drawing a sample", () => {
  it("draws the same positions for the same seed, distinct and in range, and others for another seed", () => {
    const first = drawSample(50, 10, "q4-2026");
    expect(drawSample(50, 10, "q4-2026")).toEqual(first);
    expect(new Set(first).size).toBe(10);
    for (const position of first) expect(position >= 0 && position < 50).toBe(true);
    expect(drawSample(50, 10, "q1-2027")).not.toEqual(first);
    // Asking for more than there is returns the whole population, shuffled.
    expect(drawSample(4, 10, "x").sort()).toEqual([0, 1, 2, 3]);
    expect(drawSample(0, 3, "x")).toEqual([]);
  });

  it("follows the documented procedure: a partial Fisher-Yates shuffle driven by SHA-256(seed:k)", () => {
    const positions = [0, 1, 2, 3, 4, 5];
    for (let k = 0; k < 2; k++) {
      const r = BigInt(`0x${createHash("sha256").update(`s:${k}`).digest("hex").slice(0, 16)}`);
      const j = k + Number(r % BigInt(6 - k));
      [positions[k], positions[j]] = [positions[j], positions[k]];
    }
    expect(drawSample(6, 2, "s")).toEqual(positions.slice(0, 2));
  });

  it.each([
    ["no period", { n: 3 }, ["from", "to"]],
    ["a sample of none", { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", n: 0 }, ["n"]],
    ["a sample above the maximum", { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", n: 101 }, ["n"]],
    ["a period that ends before it starts", { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z", n: 3 }, ["to"]],
  ])("refuses %s, naming the fields", (_name, query, paths) => {
    const result = sampleQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join(".")).sort()).toEqual(paths);
  });
});

describe("a sample bundle from a seeded database", () => {
  let t: TestDatabase;
  let repoDir: string;
  let period: { from: string; to: string };
  const titles = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-sample-"));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo", path: repoDir }, actor: system });
    const from = new Date(Date.now() - 1000).toISOString();
    for (let i = 1; i <= RUNS; i++) {
      const title = `Sampled change ${i}`;
      const { run } = await submitRun(t.db, {
        actor: system,
        input: { repository: "demo", prNumber: i, title, author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${i}`.padStart(40, "b"), diff: cleanDiff },
      });
      titles.set(run.id, title);
    }
    period = { from, to: new Date(Date.now() + 1000).toISOString() };
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  });

  function open(bytes: Uint8Array) {
    const files = unzipSync(bytes);
    const manifest = JSON.parse(strFromU8(files["sample.json"])) as SampleManifest;
    return { files, manifest };
  }

  it("holds, per sampled change, its decision report, its events and their manifest, all listed with their SHA-256", async () => {
    const bundle = await createSampleBundle(t.db, { ...period, n: 3, seed: "audit-2026-q4" }, auditor, { databaseUrl: t.url });
    const { files, manifest } = open(bundle.bytes);
    expect(manifest).toMatchObject({ seed: "audit-2026-q4", seedChosenBy: "requester", population: RUNS, requested: 3, period });
    expect(manifest.procedure).toContain("SHA-256(seed + ':' + k)");
    expect(manifest.changes).toHaveLength(3);
    expect(Object.keys(files).sort()).toEqual(["sample.json", ...manifest.files.map((f) => f.path)].sort());
    for (const file of manifest.files) expect(sha256(files[file.path])).toBe(file.sha256);

    for (const change of manifest.changes) {
      expect(change.title).toBe(titles.get(change.runId));
      const report = pdfPageTexts(Buffer.from(files[`${change.folder}/decision-report.pdf`])).join("\n").replace(/\s+/g, " ");
      expect(report).toContain(`Decision report: demo #${change.prNumber}`);
      expect(report).toContain(change.title);
      expect(report).toContain("Page 1 of");
      const events = Buffer.from(files[`${change.folder}/events.jsonl`]);
      const eventsManifest = JSON.parse(strFromU8(files[`${change.folder}/events.manifest.json`]));
      expect(verifyExport(events, eventsManifest)).toMatchObject({ ok: true, problems: [] });
      const lines = events.toString("utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as { runId: string; action: string });
      expect(lines.length).toBeGreaterThan(0);
      expect(new Set(lines.map((l) => l.runId))).toEqual(new Set([change.runId]));
      expect(lines.map((l) => l.action)).toContain("run.submitted");
    }

    const [recorded] = await t.sql<{ actorId: string; payload: Record<string, unknown> }>(
      `SELECT "actorId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" e WHERE action = 'audit.sampled' ORDER BY e.sequence DESC LIMIT 1`,
    );
    expect(recorded).toMatchObject({ actorId: auditor.id, payload: { seed: "audit-2026-q4", runIds: manifest.changes.map((c) => c.runId), sha256: bundle.sha256, population: RUNS } });
  });

  it("draws the same changes for the same seed, and the population order makes that reproducible", async () => {
    const runIds = async (seed?: string) => open((await createSampleBundle(t.db, { ...period, n: 4, seed }, auditor)).bytes).manifest;
    const first = await runIds("repeatable");
    const second = await runIds("repeatable");
    expect(second.changes.map((c) => c.runId)).toEqual(first.changes.map((c) => c.runId));
    const population = await t.db.pipelineRun.findMany({ where: { createdAt: { gte: new Date(period.from), lt: new Date(period.to) } }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
    expect(first.changes.map((c) => c.runId)).toEqual(drawSample(RUNS, 4, "repeatable").map((p) => population[p].id));

    // Without a seed Flowgate draws one and records it; with it the sample comes out the same.
    const chosen = await runIds();
    expect(chosen).toMatchObject({ seedChosenBy: "flowgate", seed: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect((await runIds(chosen.seed)).changes.map((c) => c.runId)).toEqual(chosen.changes.map((c) => c.runId));
  });

  it("takes the whole population when it is smaller than the sample, and nothing from an empty period", async () => {
    expect(open((await createSampleBundle(t.db, { ...period, n: 50, seed: "all" }, auditor)).bytes).manifest.changes).toHaveLength(RUNS);
    const empty = open((await createSampleBundle(t.db, { from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z", n: 5, seed: "none" }, auditor)).bytes);
    expect(empty.manifest).toMatchObject({ population: 0, changes: [], files: [] });
  });
});
