/**
 * Auditor sampling: N changes (pipeline runs) drawn at random from a period with a seeded,
 * documented procedure, and their evidence in one zip: per change its PDF decision report, its
 * audit events as JSON Lines and that file's manifest, plus sample.json naming the seed, the
 * population and every file's SHA-256. The same seed over the same period draws the same changes,
 * so a sample can be re-drawn and checked later, by Flowgate or by hand.
 */
import { createHash, randomBytes } from "node:crypto";
import { strToU8, zipSync } from "fflate";
import { z } from "zod";
import type { Db } from "../../db/client";
import { appendAuditEvent, type AuditActor } from "../chain/append-audit-event";
import { computeAuditExportManifest, exportAuditEvents, exportQuerySchema } from "./export-events";
import { buildDecisionReport } from "./export-report";

export const MAX_SAMPLE = 100;

export const sampleQuerySchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    n: z.coerce.number().int().min(1).max(MAX_SAMPLE),
    /** Any text; blank draws a random one, which the bundle then records. */
    seed: z.string().trim().max(200).optional(),
  })
  // Written so an unparsable time (already reported on its own field) does not also fail here.
  .refine((q) => !(Date.parse(q.from) >= Date.parse(q.to)), { path: ["to"], message: "must be after from" });
export type SampleQuery = z.infer<typeof sampleQuerySchema>;

export const SAMPLING_PROCEDURE =
  "Population: runs with createdAt in [from, to), ordered by createdAt then id. Draw k (k = 0, 1, ...): " +
  "r = the first 16 hex digits of SHA-256(seed + ':' + k) as an unsigned integer; swap position k with position " +
  "k + (r mod (population - k)) (a partial Fisher-Yates shuffle). The sample is positions 0..n-1 in draw order.";

/** Positions drawn from a population of `size` by the procedure above (pure, so tests and auditors can re-run it). */
export function drawSample(size: number, n: number, seed: string): number[] {
  const positions = Array.from({ length: size }, (_, i) => i);
  const count = Math.min(n, size);
  for (let k = 0; k < count; k++) {
    const r = BigInt(`0x${createHash("sha256").update(`${seed}:${k}`).digest("hex").slice(0, 16)}`);
    const j = k + Number(r % BigInt(size - k));
    [positions[k], positions[j]] = [positions[j], positions[k]];
  }
  return positions.slice(0, count);
}

export interface SampledChange {
  position: number;
  runId: string;
  repository: string;
  prNumber: number;
  title: string;
  createdAt: string;
  folder: string;
}

export interface SampleManifest {
  version: 1;
  generatedAt: string;
  period: { from: string; to: string };
  seed: string;
  seedChosenBy: "requester" | "flowgate";
  procedure: string;
  population: number;
  requested: number;
  changes: SampledChange[];
  /** The chain head when the bundle was made: every events file stops there. */
  throughSequence: string;
  files: { path: string; bytes: number; sha256: string }[];
}

export interface SampleBundle {
  fileName: string;
  bytes: Uint8Array;
  sha256: string;
  manifest: SampleManifest;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "_");

async function population(db: Db, query: SampleQuery) {
  return db.pipelineRun.findMany({
    where: { createdAt: { gte: new Date(query.from), lt: new Date(query.to) } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true, createdAt: true, pullRequest: { select: { number: true, title: true, repository: { select: { name: true } } } } },
  });
}

/** Draws the sample and builds the bundle, then records it as an audit event. */
export async function createSampleBundle(db: Db, query: SampleQuery, actor: AuditActor, options: { databaseUrl?: string } = {}): Promise<SampleBundle> {
  const seed = query.seed || randomBytes(8).toString("hex");
  const runs = await population(db, query);
  const head = await db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  const through = (head?.sequence ?? 0n).toString();
  const files: Record<string, Uint8Array> = {};
  const changes: SampledChange[] = [];

  for (const [order, position] of drawSample(runs.length, query.n, seed).entries()) {
    const run = runs[position];
    const folder = `changes/${String(order + 1).padStart(3, "0")}-${safe(run.pullRequest.repository.name)}-${run.pullRequest.number}-${run.id}`;
    changes.push({
      position,
      runId: run.id,
      repository: run.pullRequest.repository.name,
      prNumber: run.pullRequest.number,
      title: run.pullRequest.title,
      createdAt: run.createdAt.toISOString(),
      folder,
    });
    const report = await buildDecisionReport(db, run.id, { databaseUrl: options.databaseUrl });
    files[`${folder}/decision-report.pdf`] = new Uint8Array(report.bytes);
    const eventsQuery = exportQuerySchema.parse({ format: "jsonl", runId: run.id, through });
    let events = "";
    for await (const chunk of exportAuditEvents(db, eventsQuery)) events += chunk;
    files[`${folder}/events.jsonl`] = strToU8(events);
    files[`${folder}/events.manifest.json`] = strToU8(`${JSON.stringify(await computeAuditExportManifest(db, eventsQuery), null, 2)}\n`);
  }

  const manifest: SampleManifest = {
    version: 1,
    generatedAt: new Date().toISOString(),
    period: { from: query.from, to: query.to },
    seed,
    seedChosenBy: query.seed ? "requester" : "flowgate",
    procedure: SAMPLING_PROCEDURE,
    population: runs.length,
    requested: query.n,
    changes,
    throughSequence: through,
    files: Object.entries(files).map(([path, bytes]) => ({ path, bytes: bytes.byteLength, sha256: sha256(bytes) })),
  };
  const bytes = zipSync({ "sample.json": strToU8(`${JSON.stringify(manifest, null, 2)}\n`), ...files }, { level: 6 });
  const bundle: SampleBundle = {
    fileName: `flowgate-sample-${query.from.slice(0, 10)}-to-${query.to.slice(0, 10)}-seed-${safe(seed)}.zip`,
    bytes,
    sha256: sha256(bytes),
    manifest,
  };
  await db.$transaction((tx) =>
    appendAuditEvent(tx, {
      actor,
      action: "audit.sampled",
      subject: { type: "audit_log", id: `${query.from}/${query.to}` },
      payload: {
        period: manifest.period,
        seed,
        seedChosenBy: manifest.seedChosenBy,
        requested: query.n,
        population: runs.length,
        runIds: changes.map((c) => c.runId),
        throughSequence: through,
        fileName: bundle.fileName,
        sha256: bundle.sha256,
      },
    }),
  );
  return bundle;
}
