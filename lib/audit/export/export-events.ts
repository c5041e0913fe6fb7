/**
 * Audit exports: every event of a time range or of a set of runs as CSV or JSON Lines, streamed
 * with keyset pages (constant memory, no row limit), plus a manifest that lets an auditor prove
 * offline that the file is complete and unmodified (lib/audit/export/verify-export.ts).
 *
 * Two kinds of export, because the chain only proves what it links:
 * - No runId filter (everything, or a time range): the rows are a contiguous slice of the chain.
 *   Sequence order is time order (occurredAt is stamped under the append lock, ADR 003), so a time
 *   range is resolved once to a sequence window and the export is exactly that window. Offline,
 *   every row links to the one before it, the first to the manifest's firstPrevHash, so a row
 *   edited, dropped or reordered anywhere in the file is caught by the chain itself.
 * - A runId filter: the rows are scattered over the chain, so their prevHash values point at
 *   events that are not in the file and the links cannot be followed (`contiguous: false`).
 *   Offline, each event's own hash is recomputed from its content and its stored prevHash, which
 *   catches edits; completeness then rests on the manifest's row count and file SHA-256.
 *
 * Either way the manifest only proves the file against itself. Anchoring it to the source is one
 * comparison more: firstPrevHash and lastHash must be the hashes the live chain (or an earlier
 * export) holds at those sequences.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/client";
import { appendAuditEvent, type AuditActor } from "../chain/append-audit-event";
import { canonicalJson, canonicalPayloadOf, chainedFields, type ChainRow, type StoredEvent } from "../chain/chain";
import { withPayload } from "../chain/event-payload";
import { copyChainRows } from "../chain/read-chain-rows";

export const exportFormats = ["csv", "jsonl"] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** Every chained field, in file order. The CSV header is exactly these names. */
export const exportColumns = [
  "sequence",
  "occurredAt",
  "actorType",
  "actorId",
  "actorLabel",
  "action",
  "subjectType",
  "subjectId",
  "runId",
  "repositoryId",
  "payload",
  "prevHash",
  "hash",
] as const;
export type ExportColumn = (typeof exportColumns)[number];

const DEFAULT_BATCH_SIZE = 1000;

export interface ExportOptions {
  /** Keyset page size on the Prisma path. */
  batchSize?: number;
  /**
   * Read a contiguous export (no runId filter) with COPY on a connection of its own: the same
   * bytes, several times faster. Run-filtered exports always use keyset pages.
   */
  databaseUrl?: string;
}
const MAX_RUN_IDS = 100;
const sequenceString = z.string().regex(/^\d{1,19}$/, "must be a sequence number");
const hashString = z.string().regex(/^[0-9a-f]{64}$/, "must be a hex SHA-256");

/** `runId=a,b` and `runId=a&runId=b` both mean runs a and b; empty means no run filter. */
function splitRunIds(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === "string" ? v.split(",") : [v]));
  const ids = [...new Set(parts.map((v) => (typeof v === "string" ? v.trim() : v)).filter((v) => v !== ""))];
  return ids.length > 0 ? ids : undefined;
}

/**
 * `from` is inclusive and `to` exclusive, so consecutive ranges never overlap. `through` caps the
 * export at a sequence number; the export endpoint sets it from the chain's head when the request
 * starts, and passing it again reproduces the very same file (and manifest) later.
 */
export const exportQuerySchema = z
  .object({
    format: z.enum(exportFormats),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    runId: z.preprocess(splitRunIds, z.array(z.string().min(1).max(200)).min(1).max(MAX_RUN_IDS).optional()),
    through: sequenceString.transform((v) => BigInt(v)).optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { path: ["to"], message: "must be after from" });
export type AuditExportQuery = z.infer<typeof exportQuerySchema>;

/** The raw query of `?format=&from=&to=&runId=&through=`, for exportQuerySchema.parse. */
export function exportQueryInput(params: URLSearchParams): Record<string, unknown> {
  const value = (name: string) => params.get(name) || undefined;
  const runIds = params.getAll("runId");
  return { format: value("format"), from: value("from"), to: value("to"), runId: runIds.length > 0 ? runIds : undefined, through: value("through") };
}

/** The query string that reproduces an export exactly: its filter plus its sequence cap. */
export function exportQueryString(query: AuditExportQuery, throughSequence: bigint): string {
  const params = new URLSearchParams({ format: query.format });
  if (query.from) params.set("from", query.from);
  if (query.to) params.set("to", query.to);
  if (query.runId) params.set("runId", query.runId.join(","));
  params.set("through", throughSequence.toString());
  return params.toString();
}

export const auditExportManifestSchema = z.object({
  version: z.literal(1),
  format: z.enum(exportFormats),
  generatedAt: z.string(),
  filter: z.object({ from: z.string().nullable(), to: z.string().nullable(), runIds: z.array(z.string()).nullable() }),
  /** The chain's head when the export started; the export holds no event after it. */
  throughSequence: sequenceString,
  /** True when the rows are one unbroken slice of the chain, verifiable link by link. */
  contiguous: z.boolean(),
  rows: z.number().int().min(0),
  firstSequence: sequenceString.nullable(),
  /** The hash the first row links to: GENESIS_HASH or the hash of the event just before the slice. */
  firstPrevHash: hashString.nullable(),
  firstHash: hashString.nullable(),
  lastSequence: sequenceString.nullable(),
  lastHash: hashString.nullable(),
  bytes: z.number().int().min(0),
  sha256: hashString,
});
export type AuditExportManifest = z.infer<typeof auditExportManifestSchema>;

export function exportContentType(format: ExportFormat): string {
  return format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

/** One event as the file spells it: sequence as a string, occurredAt as ISO 8601. */
export function exportRecord(event: StoredEvent): Record<ExportColumn, unknown> {
  return { ...chainedFields(event), prevHash: event.prevHash, hash: event.hash };
}

/** Keys in column order (readable), payload in canonical JSON (the bytes never depend on jsonb). */
function jsonLine(event: StoredEvent): string {
  const record = exportRecord(event);
  return `{${exportColumns.map((column) => `${JSON.stringify(column)}:${canonicalJson(record[column])}`).join(",")}}\n`;
}

/**
 * RFC 4180 quoting. CSV has no null, so the file keeps the two apart by convention: an empty
 * unquoted field is null, an empty string is always written quoted (`""`). The verifier needs that
 * distinction to recompute the hashes of events whose runId or repositoryId is null.
 */
export function csvField(value: string | null): string {
  if (value === null) return "";
  if (value === "" || /[",\r\n]/.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

const csvHeader = `${exportColumns.join(",")}\r\n`;

function csvLine(event: StoredEvent): string {
  const record = exportRecord(event);
  const fields = exportColumns.map((column) =>
    csvField(column === "payload" ? canonicalJson(record.payload) : (record[column] as string | null)),
  );
  return `${fields.join(",")}\r\n`;
}

/** The sequences an export covers: after `afterSequence`, up to and including `untilSequence`. */
export interface ExportWindow {
  throughSequence: bigint;
  afterSequence: bigint;
  untilSequence: bigint;
}

async function chainHead(db: Db): Promise<bigint> {
  const head = await db.auditEvent.findFirst({ orderBy: { sequence: "desc" }, select: { sequence: true } });
  return head?.sequence ?? 0n;
}

/**
 * Caps the export at `through` (never past the current head, so a manifest never promises rows
 * that do not exist yet) and turns the time range into sequences. Both lookups walk the
 * occurredAt index, which orders events the same way as their sequence.
 */
export async function resolveExportWindow(db: Db, query: AuditExportQuery): Promise<ExportWindow> {
  const head = await chainHead(db);
  const throughSequence = query.through !== undefined && query.through < head ? query.through : head;
  let afterSequence = 0n;
  let untilSequence = throughSequence;
  if (query.from) {
    const first = await db.auditEvent.findFirst({
      where: { occurredAt: { gte: new Date(query.from) }, sequence: { lte: throughSequence } },
      orderBy: [{ occurredAt: "asc" }, { sequence: "asc" }],
      select: { sequence: true },
    });
    afterSequence = first ? first.sequence - 1n : throughSequence;
  }
  if (query.to) {
    const last = await db.auditEvent.findFirst({
      where: { occurredAt: { lt: new Date(query.to) }, sequence: { lte: throughSequence } },
      orderBy: [{ occurredAt: "desc" }, { sequence: "desc" }],
      select: { sequence: true },
    });
    untilSequence = last?.sequence ?? 0n;
  }
  return { throughSequence, afterSequence, untilSequence };
}

/** What the manifest needs of each exported event. */
interface ManifestEvent {
  sequence: bigint | string;
  prevHash: string;
  hash: string;
}

interface ExportPage {
  text: string;
  events: ManifestEvent[];
}

/** jsonLine for a row read as text (COPY): the same bytes, without building a StoredEvent. */
function jsonLineFromRow(row: ChainRow): string {
  const nullable = (value: string | null) => (value === null ? "null" : JSON.stringify(value));
  return (
    `{"sequence":${JSON.stringify(row.sequence)},"occurredAt":${JSON.stringify(row.occurredAt)},"actorType":${JSON.stringify(row.actorType)}` +
    `,"actorId":${JSON.stringify(row.actorId)},"actorLabel":${JSON.stringify(row.actorLabel)},"action":${JSON.stringify(row.action)}` +
    `,"subjectType":${JSON.stringify(row.subjectType)},"subjectId":${JSON.stringify(row.subjectId)},"runId":${nullable(row.runId)}` +
    `,"repositoryId":${nullable(row.repositoryId)},"payload":${canonicalPayloadOf(row.content)},"prevHash":${JSON.stringify(row.prevHash)},"hash":${JSON.stringify(row.hash)}}\n`
  );
}

/** csvLine for a row read as text (COPY). Sequence, time and hashes never need quoting. */
function csvLineFromRow(row: ChainRow): string {
  return (
    `${row.sequence},${row.occurredAt},${csvField(row.actorType)},${csvField(row.actorId)},${csvField(row.actorLabel)},${csvField(row.action)}` +
    `,${csvField(row.subjectType)},${csvField(row.subjectId)},${csvField(row.runId)},${csvField(row.repositoryId)}` +
    `,${csvField(canonicalPayloadOf(row.content))},${row.prevHash},${row.hash}\r\n`
  );
}

/**
 * A contiguous export read with COPY on a connection of its own: one streamed statement instead
 * of a query per page, and text rows instead of Prisma objects (bench/audit-export.ts). Memory
 * stays bounded: the reader pauses the socket while the consumer is behind.
 */
async function* copyExportPages(databaseUrl: string, query: AuditExportQuery, window: ExportWindow): AsyncGenerator<ExportPage> {
  if (query.format === "csv") yield { text: csvHeader, events: [] };
  if (window.afterSequence >= window.untilSequence) return;
  const line = query.format === "csv" ? csvLineFromRow : jsonLineFromRow;
  for await (const rows of copyChainRows(databaseUrl, { afterSequence: window.afterSequence, throughSequence: window.untilSequence })) {
    let text = "";
    for (const row of rows) text += line(row);
    yield { text, events: rows };
  }
}

/**
 * Keyset pages: `sequence > last ORDER BY sequence LIMIT batch`. Never OFFSET, which rereads every
 * skipped row and makes a long export quadratic; each page is an index range scan on the primary key.
 */
async function* exportPages(db: Db, query: AuditExportQuery, window: ExportWindow, batchSize: number, databaseUrl?: string): AsyncGenerator<ExportPage> {
  if (databaseUrl && !query.runId) {
    yield* copyExportPages(databaseUrl, query, window);
    return;
  }
  if (query.format === "csv") yield { text: csvHeader, events: [] };
  const line = query.format === "csv" ? csvLine : jsonLine;
  let after = window.afterSequence;
  while (after < window.untilSequence) {
    const rows = await db.auditEvent.findMany({
      where: { sequence: { gt: after, lte: window.untilSequence }, ...(query.runId ? { runId: { in: query.runId } } : {}) },
      orderBy: { sequence: "asc" },
      take: batchSize,
    });
    const events: StoredEvent[] = rows.map(withPayload);
    if (events.length > 0) yield { text: events.map(line).join(""), events };
    if (events.length < batchSize) return;
    after = events[events.length - 1].sequence;
  }
}

/**
 * The export file as string chunks (a CSV header, then one chunk per page), holding at most one
 * page of events at a time.
 */
export async function* exportAuditEvents(
  db: Db,
  query: AuditExportQuery,
  options: ExportOptions & { window?: ExportWindow } = {},
): AsyncGenerator<string> {
  const window = options.window ?? (await resolveExportWindow(db, query));
  for await (const page of exportPages(db, query, window, options.batchSize ?? DEFAULT_BATCH_SIZE, options.databaseUrl)) yield page.text;
}

/** Folds the exact bytes emitted and the events they hold into the manifest, page by page. */
export function createManifestBuilder(query: AuditExportQuery, window: ExportWindow) {
  const digest = createHash("sha256");
  let bytes = 0;
  let rows = 0;
  let first: ManifestEvent | null = null;
  let last: ManifestEvent | null = null;
  return {
    add(chunk: Uint8Array, events: ManifestEvent[]) {
      digest.update(chunk);
      bytes += chunk.byteLength;
      rows += events.length;
      first ??= events[0] ?? null;
      last = events.at(-1) ?? last;
    },
    finish(): AuditExportManifest {
      return {
        version: 1,
        format: query.format,
        generatedAt: new Date().toISOString(),
        filter: { from: query.from ?? null, to: query.to ?? null, runIds: query.runId ?? null },
        throughSequence: window.throughSequence.toString(),
        contiguous: !query.runId,
        rows,
        firstSequence: first?.sequence.toString() ?? null,
        firstPrevHash: first?.prevHash ?? null,
        firstHash: first?.hash ?? null,
        lastSequence: last?.sequence.toString() ?? null,
        lastHash: last?.hash ?? null,
        bytes,
        sha256: digest.digest("hex"),
      };
    },
  };
}

const encoder = new TextEncoder();

/**
 * The manifest of an export without producing the file: the same pages, hashed and dropped.
 * Reads no more than one page at a time, like the export itself.
 */
export async function computeAuditExportManifest(db: Db, query: AuditExportQuery, options: ExportOptions = {}): Promise<AuditExportManifest> {
  const window = await resolveExportWindow(db, query);
  const manifest = createManifestBuilder(query, window);
  for await (const page of exportPages(db, query, window, options.batchSize ?? DEFAULT_BATCH_SIZE, options.databaseUrl)) {
    manifest.add(encoder.encode(page.text), page.events);
  }
  return manifest.finish();
}

export interface AuditExport {
  throughSequence: bigint;
  fileName: string;
  contentType: string;
  /** Pull-based: a page is read from the database only when the reader wants more bytes. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves once the stream has been read to the end; rejects if the export fails on the way. */
  manifest: Promise<AuditExportManifest>;
}

/**
 * Records the export in the audit log, then streams it. The chain's head is read before the
 * `audit.exported` event is appended and caps the export, so the file never contains its own
 * export event (or anything appended while it streams), and the cap, recorded in the event and
 * the manifest, lets the manifest endpoint reproduce the same file later.
 */
export async function createAuditExport(db: Db, query: AuditExportQuery, actor: AuditActor, options: ExportOptions = {}): Promise<AuditExport> {
  const window = await resolveExportWindow(db, query);
  const filter = { from: query.from ?? null, to: query.to ?? null, runIds: query.runId ?? null };
  await db.$transaction((tx) =>
    appendAuditEvent(tx, {
      actor,
      action: "audit.exported",
      subject: { type: "audit_log", id: `through-${window.throughSequence}` },
      payload: { format: query.format, filter, throughSequence: window.throughSequence.toString() },
    }),
  );
  const pages = exportPages(db, query, window, options.batchSize ?? DEFAULT_BATCH_SIZE, options.databaseUrl);
  const builder = createManifestBuilder(query, window);
  let settle!: { resolve: (m: AuditExportManifest) => void; reject: (e: unknown) => void };
  const manifest = new Promise<AuditExportManifest>((resolve, reject) => (settle = { resolve, reject }));
  // A caller that only reads the stream must not get an unhandled rejection from the manifest.
  manifest.catch(() => {});
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value: page, done } = await pages.next();
          if (done) {
            controller.close();
            settle.resolve(builder.finish());
            return;
          }
          const chunk = encoder.encode(page.text);
          builder.add(chunk, page.events);
          controller.enqueue(chunk);
        } catch (error) {
          controller.error(error);
          settle.reject(error);
        }
      },
      async cancel(reason) {
        settle.reject(new Error(`the export was cancelled before the end: ${String(reason)}`));
        await pages.return(undefined);
      },
    },
    // Queue nothing ahead of the reader: one page in flight is the whole memory budget.
    { highWaterMark: 0 },
  );
  const extension = query.format === "csv" ? "csv" : "jsonl";
  return {
    throughSequence: window.throughSequence,
    fileName: `flowgate-audit-through-${window.throughSequence}.${extension}`,
    contentType: exportContentType(query.format),
    stream,
    manifest,
  };
}
