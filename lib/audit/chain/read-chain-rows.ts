/**
 * Reads a stretch of the audit chain, in sequence order, as text rows (ChainRow) with
 * `COPY (SELECT …) TO STDOUT`: what a contiguous export writes out (bench/audit-export.ts).
 * The verifier reads the hashed bytes instead (read-hashed-records.ts).
 */
import { copyOut, type CopyDecoder } from "../../db/copy-out";
import type { ChainRow } from "./chain";

/** Events after `afterSequence`, up to and including `throughSequence` (the head when unset). */
export interface ChainStretch {
  afterSequence: bigint;
  throughSequence?: bigint;
}

export const MAX_SEQUENCE = 9_223_372_036_854_775_807n;

/**
 * occurredAt is printed by the server as ISO 8601 with milliseconds, whatever its DateStyle. The
 * queries order by `e.sequence`: a bare `sequence` would mean the text column and sort 10 before 2.
 */
const rowColumns = `sequence::text, to_char("occurredAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), "actorType"::text, "actorId", "actorLabel", action,
  "subjectType", "subjectId", "runId", "repositoryId", content, "prevHash", hash`;

type RowFields = [string, string, string, string, string, string, string, string, string | null, string | null, string, string, string];

function toRow(f: RowFields): ChainRow {
  return {
    sequence: f[0],
    occurredAt: f[1],
    actorType: f[2],
    actorId: f[3],
    actorLabel: f[4],
    action: f[5],
    subjectType: f[6],
    subjectId: f[7],
    runId: f[8],
    repositoryId: f[9],
    content: f[10],
    prevHash: f[11],
    hash: f[12],
  };
}

/** COPY's text format escapes backslash, tab, line breaks and a few controls; \N alone is NULL. */
const copyEscapes: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };
function unescapeCopyField(field: string): string {
  return field.replace(/\\(.)/g, (_match, char: string) => copyEscapes[char] ?? char);
}

function parseCopyLine(line: string): ChainRow {
  const fields = line.split("\t");
  if (fields.length !== 13) throw new Error(`COPY returned a row with ${fields.length} fields, expected 13`);
  for (let i = 0; i < 13; i++) {
    const field = fields[i];
    if (field.includes("\\")) fields[i] = field === "\\N" ? (null as unknown as string) : unescapeCopyField(field);
  }
  return toRow(fields as RowFields);
}

/** COPY's text format: one row per line, fields split by tabs. */
function textRowDecoder(): CopyDecoder<ChainRow> {
  const decoder = new TextDecoder();
  let partial = "";
  return {
    push(chunk, rows) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) rows.push(parseCopyLine(line));
    },
    end() {
      if (partial !== "") throw new Error("COPY ended in the middle of a row");
    },
  };
}

/** The stretch's events as text rows, on a connection of its own. */
export function copyChainRows(databaseUrl: string, stretch: ChainStretch): AsyncGenerator<ChainRow[]> {
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  const sql = `COPY (SELECT ${rowColumns} FROM "AuditEvent" e WHERE e.sequence > ${stretch.afterSequence} AND e.sequence <= ${through} ORDER BY e.sequence) TO STDOUT`;
  return copyOut(databaseUrl, sql, textRowDecoder());
}
