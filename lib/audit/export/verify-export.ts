/**
 * Offline check of an audit export against its manifest and its own hash chain: no database, so an
 * auditor can run it on a file they were handed (`npm run ctl -- audit verify-export`).
 * lib/audit/export/export-events.ts explains what contiguous and non-contiguous exports can prove.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { checkLink, describeBreak, eventHash, GENESIS_HASH, type StoredEvent } from "../chain/chain";
import { auditExportManifestSchema, exportColumns, type AuditExportManifest, type ExportFormat } from "./export-events";

export interface ExportVerification {
  ok: boolean;
  rows: number;
  problems: string[];
  contiguous: boolean | null;
  firstSequence: string | null;
  lastSequence: string | null;
  sha256: string;
}

class ExportFormatError extends Error {}

const exportRecordSchema = z.object({
  sequence: z.string().regex(/^\d{1,19}$/),
  occurredAt: z.iso.datetime(),
  actorType: z.string(),
  actorId: z.string(),
  actorLabel: z.string(),
  action: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  runId: z.string().nullable(),
  repositoryId: z.string().nullable(),
  payload: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});

function toStoredEvent(record: unknown, row: number): StoredEvent {
  const parsed = exportRecordSchema.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ExportFormatError(`row ${row}: ${issue.path.join(".") || "the row"} ${issue.message.toLowerCase()}`);
  }
  return { ...parsed.data, sequence: BigInt(parsed.data.sequence), occurredAt: new Date(parsed.data.occurredAt) };
}

export interface CsvField {
  value: string;
  quoted: boolean;
}

/**
 * RFC 4180 records (CRLF or LF line breaks, quoted fields with doubled quotes and embedded line
 * breaks). Keeps whether a field was quoted: the export writes null as an empty unquoted field and
 * an empty string as `""`.
 */
export function* parseCsv(text: string): Generator<CsvField[]> {
  let at = 0;
  let record: CsvField[] = [];
  let recordNumber = 1;
  while (at < text.length) {
    let field: CsvField;
    if (text[at] === '"') {
      let value = "";
      at += 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote === -1) throw new ExportFormatError(`CSV record ${recordNumber}: a quoted field is never closed`);
        value += text.slice(at, quote);
        if (text[quote + 1] !== '"') {
          at = quote + 1;
          break;
        }
        value += '"';
        at = quote + 2;
      }
      field = { value, quoted: true };
    } else {
      let end = at;
      while (end < text.length && text[end] !== "," && text[end] !== "\n" && text[end] !== "\r") end += 1;
      field = { value: text.slice(at, end), quoted: false };
      if (field.value.includes('"')) throw new ExportFormatError(`CSV record ${recordNumber}: a quote inside an unquoted field`);
      at = end;
    }
    record.push(field);
    if (text[at] === ",") {
      at += 1;
      // A separator at the very end still opens one last, empty field.
      if (at === text.length) record.push({ value: "", quoted: false });
      continue;
    }
    if (at < text.length && text[at] !== "\n" && text[at] !== "\r") {
      throw new ExportFormatError(`CSV record ${recordNumber}: text after a closing quote`);
    }
    at += text.startsWith("\r\n", at) ? 2 : 1;
    yield record;
    record = [];
    recordNumber += 1;
  }
  if (record.length > 0) yield record;
}

const nullableColumns = new Set(["runId", "repositoryId"]);

function* csvEvents(text: string): Generator<StoredEvent> {
  const records = parseCsv(text);
  const header = records.next();
  if (header.done) throw new ExportFormatError("the CSV file has no header row");
  const names = header.value.map((f) => f.value);
  if (names.join(",") !== exportColumns.join(",")) {
    throw new ExportFormatError(`the CSV header is "${names.join(",")}", expected "${exportColumns.join(",")}"`);
  }
  let row = 0;
  for (const fields of records) {
    row += 1;
    if (fields.length !== exportColumns.length) throw new ExportFormatError(`row ${row}: ${fields.length} fields, expected ${exportColumns.length}`);
    const record: Record<string, unknown> = {};
    exportColumns.forEach((column, i) => {
      const { value, quoted } = fields[i];
      record[column] = value === "" && !quoted && nullableColumns.has(column) ? null : value;
    });
    try {
      record.payload = JSON.parse(record.payload as string);
    } catch {
      throw new ExportFormatError(`row ${row} (sequence ${record.sequence}): the payload is not valid JSON`);
    }
    yield toStoredEvent(record, row);
  }
}

function* jsonlEvents(text: string): Generator<StoredEvent> {
  const lines = text.split("\n");
  // The file ends with a line break, which leaves one empty string after the last row.
  if (lines.at(-1) === "") lines.pop();
  for (const [i, line] of lines.entries()) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new ExportFormatError(`row ${i + 1}: not valid JSON`);
    }
    yield toStoredEvent(record, i + 1);
  }
}

function readEvents(text: string, format: ExportFormat): Generator<StoredEvent> {
  return format === "csv" ? csvEvents(text) : jsonlEvents(text);
}

/**
 * Checks one row against the chain: for a contiguous export the link to the row before it (or,
 * for the first row, to the manifest's firstPrevHash) and its own hash; otherwise only its own
 * hash, its order and that it belongs to one of the exported runs.
 */
function chainProblem(manifest: AuditExportManifest, previous: StoredEvent | null, event: StoredEvent): string | null {
  if (event.sequence > BigInt(manifest.throughSequence)) {
    return `event ${event.sequence} is after the export's end (sequence ${manifest.throughSequence})`;
  }
  if (manifest.contiguous) {
    const anchor = previous ?? firstAnchor(manifest, event);
    const problem = checkLink(anchor, event);
    return problem ? describeBreak(problem) : null;
  }
  if (previous && event.sequence <= previous.sequence) return `event ${event.sequence} is out of order (after ${previous.sequence})`;
  if (manifest.filter.runIds && !manifest.filter.runIds.includes(event.runId ?? "")) {
    return `event ${event.sequence} belongs to run ${event.runId ?? "(none)"}, which the export does not cover`;
  }
  if (eventHash(event.prevHash, event) !== event.hash) return `event ${event.sequence} does not match its hash: its content was edited`;
  return null;
}

/** The event just before the slice, as far as the manifest knows it: its sequence and hash. */
function firstAnchor(manifest: AuditExportManifest, event: StoredEvent): { sequence: bigint; hash: string } | null {
  const firstSequence = manifest.firstSequence ? BigInt(manifest.firstSequence) : event.sequence;
  if (firstSequence === 1n) return null;
  return { sequence: firstSequence - 1n, hash: manifest.firstPrevHash ?? GENESIS_HASH };
}

function manifestProblems(manifest: AuditExportManifest, rows: number, first: StoredEvent | null, last: StoredEvent | null): string[] {
  const problems: string[] = [];
  if (rows !== manifest.rows) problems.push(`the file has ${rows} events, the manifest says ${manifest.rows}`);
  const compare = (what: string, actual: string | null, expected: string | null) => {
    if (actual !== expected) problems.push(`the ${what} is ${actual ?? "(none)"}, the manifest says ${expected ?? "(none)"}`);
  };
  compare("first sequence", first?.sequence.toString() ?? null, manifest.firstSequence);
  compare("first event's prevHash", first?.prevHash ?? null, manifest.firstPrevHash);
  compare("first hash", first?.hash ?? null, manifest.firstHash);
  compare("last sequence", last?.sequence.toString() ?? null, manifest.lastSequence);
  compare("last hash", last?.hash ?? null, manifest.lastHash);
  if (manifest.contiguous && manifest.firstSequence === "1" && manifest.firstPrevHash !== GENESIS_HASH) {
    problems.push("the export starts at sequence 1 but its first prevHash is not the genesis hash");
  }
  return problems;
}

/**
 * Verifies an export file against its manifest: the file's SHA-256 and size, the row count, the
 * first and last event, and the chain. Reports file-level mismatches and the first chain problem,
 * naming its sequence; later breaks usually follow from the first, so they are not listed.
 */
export function verifyExport(fileContents: string | Buffer, manifestInput: unknown): ExportVerification {
  const bytes = typeof fileContents === "string" ? Buffer.from(fileContents, "utf8") : fileContents;
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const parsed = auditExportManifestSchema.safeParse(manifestInput);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const problem = `the manifest is not valid: ${issue.path.join(".") || "(manifest)"} ${issue.message.toLowerCase()}`;
    return { ok: false, rows: 0, problems: [problem], contiguous: null, firstSequence: null, lastSequence: null, sha256 };
  }
  const manifest = parsed.data;
  const problems: string[] = [];
  if (sha256 !== manifest.sha256) problems.push(`the file's SHA-256 is ${sha256}, the manifest says ${manifest.sha256}: the file is not the exported one`);
  if (bytes.byteLength !== manifest.bytes) problems.push(`the file has ${bytes.byteLength} bytes, the manifest says ${manifest.bytes}`);

  let rows = 0;
  let first: StoredEvent | null = null;
  let previous: StoredEvent | null = null;
  let chainBroken = false;
  try {
    for (const event of readEvents(bytes.toString("utf8"), manifest.format)) {
      rows += 1;
      first ??= event;
      const problem = chainBroken ? null : chainProblem(manifest, previous, event);
      if (problem) {
        problems.push(problem);
        chainBroken = true;
      }
      previous = event;
    }
    problems.push(...manifestProblems(manifest, rows, first, previous));
  } catch (error) {
    if (!(error instanceof ExportFormatError)) throw error;
    problems.push(error.message);
  }
  return {
    ok: problems.length === 0,
    rows,
    problems,
    contiguous: manifest.contiguous,
    firstSequence: first?.sequence.toString() ?? null,
    lastSequence: previous?.sequence.toString() ?? null,
    sha256,
  };
}
