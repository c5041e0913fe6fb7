/**
 * Feeds a stretch of the audit chain, in sequence order, to a ChainWalker: each event's sequence,
 * links and the bytes its hash covers. Either through Prisma in keyset pages (short stretches
 * after a checkpoint), or with a binary COPY on a connection of its own, where every event is
 * checked inside the handler that receives it, straight from pg's read buffer: the stored bytes
 * arrive as they are, and no copy, string or object is made per event beyond the two hashes
 * compared (bench/audit-verify.ts).
 */
import type { Db } from "../../db/client";
import { copyOut, type CopyDecoder } from "../../db/copy-out";
import type { ChainBreak } from "../chain/chain";
import { MAX_SEQUENCE, type ChainStretch } from "../chain/read-chain-rows";

/** What the events are fed to: a ChainWalker, or a benchmark's probe. */
export interface EventVisitor {
  /** False once no more events are wanted. */
  visit(sequence: number, prevHash: string, hash: string, hashInput: Buffer): boolean;
  readonly broken: ChainBreak | null;
}

/** Keyset pages through Prisma; yields the number of events walked per page. */
export async function* walkKeysetPages(db: Db, stretch: ChainStretch, walker: EventVisitor, batchSize = 5000): AsyncGenerator<number[]> {
  let after = stretch.afterSequence;
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  for (;;) {
    const page = await db.$queryRawUnsafe<{ sequence: string; prevHash: string; hash: string; hashInput: string }[]>(
      `SELECT e.sequence::text AS sequence, e."prevHash", e.hash, e."prevHash" || E'\\n' || e.content AS "hashInput"
         FROM "AuditEvent" e WHERE e.sequence > $1 AND e.sequence <= $2 ORDER BY e.sequence LIMIT $3`,
      after,
      through,
      batchSize,
    );
    for (const row of page) if (!walker.visit(Number(row.sequence), row.prevHash, row.hash, Buffer.from(row.hashInput))) break;
    if (page.length > 0) yield [page.length];
    if (page.length < batchSize || walker.broken) return;
    after = BigInt(page[page.length - 1].sequence);
  }
}

/**
 * `COPY ... TO STDOUT (FORMAT binary)` on a connection of its own; yields the number of events
 * walked per CopyData message, in batches. The server concatenates the hashed bytes, so each event
 * is hashed as one flat slice of the message.
 */
export function walkCopy(databaseUrl: string, stretch: ChainStretch, walker: EventVisitor): AsyncGenerator<number[]> {
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  const sql = `COPY (SELECT e.sequence, e."prevHash", e.hash, e."prevHash" || E'\\n' || e.content FROM "AuditEvent" e
    WHERE e.sequence > ${stretch.afterSequence} AND e.sequence <= ${through} ORDER BY e.sequence) TO STDOUT (FORMAT binary)`;
  return copyOut(databaseUrl, sql, binaryChainDecoder(walker));
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const HEADER_LENGTH = 19;

/**
 * PostgreSQL's binary COPY format: a header (signature, flags, extension length, extension), then
 * per row a 16-bit field count and each field as a 32-bit length and its bytes, then a count of
 * -1. Rows here are (int8 sequence, text prevHash, text hash, text hashInput). Each complete row is
 * walked at once; a row split across chunks waits, copied, for the rest.
 */
export function binaryChainDecoder(walker: EventVisitor): CopyDecoder<number> {
  let leftover: Buffer | null = null;
  // Start and end of each of the four fields of the row being read, reused for every row.
  const bounds = new Int32Array(8);
  let headerRead = false;
  let ended = false;
  return {
    push(chunk, walked) {
      // Once broken, the rest is not looked at: the caller stops reading.
      if (walker.broken) return;
      const buf = leftover ? Buffer.concat([leftover, chunk]) : chunk;
      leftover = null;
      let offset = 0;
      if (!headerRead) {
        const signature = buf.subarray(0, SIGNATURE.length);
        if (!signature.equals(SIGNATURE.subarray(0, signature.length))) throw new Error("COPY did not return its binary format");
        if (buf.length < HEADER_LENGTH || buf.length < HEADER_LENGTH + buf.readUInt32BE(15)) {
          leftover = Buffer.from(buf);
          return;
        }
        offset = HEADER_LENGTH + buf.readUInt32BE(15);
        headerRead = true;
      }
      let count = 0;
      while (offset + 2 <= buf.length) {
        const fieldCount = buf.readInt16BE(offset);
        if (fieldCount === -1) {
          ended = true;
          offset += 2;
          break;
        }
        if (fieldCount !== 4) throw new Error(`COPY returned a row with ${fieldCount} fields, expected 4`);
        const next = readFields(buf, offset + 2, bounds);
        if (next < 0) break;
        if (bounds[1] - bounds[0] !== 8) throw new Error("COPY returned a sequence that is not an int8");
        // The sequence as a Number, read as two 32-bit halves (no BigInt per event).
        const sequence = buf.readInt32BE(bounds[0]) * 2 ** 32 + buf.readUInt32BE(bounds[0] + 4);
        walker.visit(sequence, buf.toString("latin1", bounds[2], bounds[3]), buf.toString("latin1", bounds[4], bounds[5]), buf.subarray(bounds[6], bounds[7]));
        count += 1;
        offset = next;
        if (walker.broken) break;
      }
      if (count > 0) walked.push(count);
      // What is left is part of the next row: a copy, since pg reuses the chunk's memory.
      if (offset < buf.length && !walker.broken) leftover = Buffer.from(buf.subarray(offset));
    },
    end() {
      if (walker.broken) return;
      if (!ended || leftover) throw new Error("COPY ended in the middle of a row");
    },
  };
}

/** Fills `bounds` with where a row's four fields start and end; the offset after the row, or -1 if it is not complete in `buf`. */
function readFields(buf: Buffer, offset: number, bounds: Int32Array): number {
  let at = offset;
  for (let field = 0; field < 4; field++) {
    if (at + 4 > buf.length) return -1;
    const length = buf.readInt32BE(at);
    if (length < 0) throw new Error("COPY returned NULL in a chain column");
    if (at + 4 + length > buf.length) return -1;
    bounds[2 * field] = at + 4;
    bounds[2 * field + 1] = at + 4 + length;
    at += 4 + length;
  }
  return at;
}
