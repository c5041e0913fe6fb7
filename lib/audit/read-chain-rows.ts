/**
 * Reads a stretch of the audit chain, in sequence order, as text rows (ChainRow): either through
 * Prisma in keyset pages, or with `COPY (SELECT …) TO STDOUT` on a connection of its own. COPY
 * streams while the verifier hashes, with no round trip per page and no per-row objects from the
 * driver, which makes it several times faster over millions of events (bench/audit-verify.ts).
 */
import pg from "pg";
import type { Db } from "../db/client";
import type { ChainRow } from "./chain";

/** Events after `afterSequence`, up to and including `throughSequence` (the head when unset). */
export interface ChainStretch {
  afterSequence: bigint;
  throughSequence?: bigint;
}

const MAX_SEQUENCE = 9_223_372_036_854_775_807n;

/**
 * occurredAt is printed by the server as ISO 8601 with milliseconds, whatever its DateStyle. The
 * queries order by `e.sequence`: a bare `sequence` would mean the text column and sort 10 before 2.
 */
const rowColumns = `sequence::text, to_char("occurredAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), "actorType"::text, "actorId", "actorLabel", action,
  "subjectType", "subjectId", "runId", "repositoryId", payload::text, "prevHash", hash`;

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
    payload: f[10],
    prevHash: f[11],
    hash: f[12],
  };
}

/** Keyset pages through Prisma: no connection of its own, fine for the short stretch after a checkpoint. */
export async function* prismaChainRows(db: Db, stretch: ChainStretch, batchSize = 5000): AsyncGenerator<ChainRow[]> {
  let after = stretch.afterSequence;
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  for (;;) {
    const page = await db.$queryRawUnsafe<Record<string, string | null>[]>(
      `SELECT ${rowColumns} FROM "AuditEvent" e WHERE e.sequence > $1 AND e.sequence <= $2 ORDER BY e.sequence LIMIT $3`,
      after,
      through,
      batchSize,
    );
    if (page.length === 0) return;
    const rows = page.map((record) => toRow(Object.values(record) as RowFields));
    yield rows;
    if (page.length < batchSize) return;
    after = BigInt(rows[rows.length - 1].sequence);
  }
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

/** Pause the socket when this many rows wait for the reader: COPY has no other flow control. */
const HIGH_WATER_ROWS = 20_000;

/**
 * COPY on a connection of its own, read through pg's "submittable" interface (what
 * pg-copy-streams is built on): each CopyData message is handed over as it arrives, and the
 * socket is paused while the reader is behind. Returning early (a break in the chain) closes the
 * connection, which ends the COPY on the server.
 */
export async function* copyChainRows(databaseUrl: string, stretch: ChainStretch): AsyncGenerator<ChainRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // Failures reach the query's handleError; without a listener, closing early would crash the process.
  client.on("error", () => {});
  await client.connect();
  const socket = (client as unknown as { connection: { stream: { pause(): void; resume(): void } } }).connection.stream;
  let pending: string[] = [];
  let partial = "";
  let finished = false;
  let failure: unknown = null;
  let paused = false;
  let wake: (() => void) | null = null;
  const signal = () => {
    wake?.();
    wake = null;
  };
  const decoder = new TextDecoder();
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  const sql = `COPY (SELECT ${rowColumns} FROM "AuditEvent" e WHERE e.sequence > ${stretch.afterSequence} AND e.sequence <= ${through} ORDER BY e.sequence) TO STDOUT`;
  client.query({
    submit: (connection: { query(text: string): void }) => connection.query(sql),
    handleCopyData: (message: { chunk: Buffer }) => {
      // PostgreSQL sends one row per message, but the protocol does not promise it.
      const text = partial + decoder.decode(message.chunk, { stream: true });
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) pending.push(line);
      if (pending.length >= HIGH_WATER_ROWS && !paused) {
        paused = true;
        socket.pause();
      }
      signal();
    },
    handleCommandComplete: () => {},
    handleError: (error: unknown) => {
      failure = error;
    },
    handleReadyForQuery: () => {
      finished = true;
      signal();
    },
  } as never);
  let completed = false;
  try {
    for (;;) {
      if (pending.length > 0) {
        const lines = pending;
        pending = [];
        if (paused) {
          paused = false;
          socket.resume();
        }
        yield lines.map(parseCopyLine);
        continue;
      }
      if (finished) {
        if (failure) throw failure;
        if (partial !== "") throw new Error("COPY ended in the middle of a row");
        completed = true;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (completed) await client.end();
    // Stopped early: the server is still sending. Closing the socket ends the COPY.
    else (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  }
}
