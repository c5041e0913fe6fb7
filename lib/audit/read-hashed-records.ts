/**
 * Reads a stretch of the audit chain, in sequence order, as the verifier needs it (HashedRecord):
 * each event's links and the bytes its hash covers. Either through Prisma in keyset pages (short
 * stretches after a checkpoint), or with a binary COPY on a connection of its own: the stored
 * bytes arrive as they are, with no escaping to undo, and are hashed as they arrive
 * (bench/audit-verify.ts).
 */
import type { Db } from "../db/client";
import { copyOut, type CopyDecoder } from "../db/copy-out";
import type { HashedRecord } from "./chain";
import { MAX_SEQUENCE, type ChainStretch } from "./read-chain-rows";

/** The bytes a hash covers, concatenated by the server so the verifier hashes one flat buffer. */
const recordColumns = `e.sequence, e."prevHash", e.hash, e."prevHash" || E'\\n' || e.content`;

/** Keyset pages through Prisma: no connection of its own, fine for the short stretch after a checkpoint. */
export async function* keysetHashedRecords(db: Db, stretch: ChainStretch, batchSize = 5000): AsyncGenerator<HashedRecord[]> {
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
    if (page.length === 0) return;
    yield page.map((row) => ({ sequence: BigInt(row.sequence), prevHash: row.prevHash, hash: row.hash, hashInput: Buffer.from(row.hashInput) }));
    if (page.length < batchSize) return;
    after = BigInt(page[page.length - 1].sequence);
  }
}

/** The stretch's records with `COPY ... TO STDOUT (FORMAT binary)`, on a connection of its own. */
export function copyHashedRecords(databaseUrl: string, stretch: ChainStretch): AsyncGenerator<HashedRecord[]> {
  const through = stretch.throughSequence ?? MAX_SEQUENCE;
  const sql = `COPY (SELECT ${recordColumns} FROM "AuditEvent" e WHERE e.sequence > ${stretch.afterSequence} AND e.sequence <= ${through} ORDER BY e.sequence) TO STDOUT (FORMAT binary)`;
  return copyOut(databaseUrl, sql, binaryRecordDecoder());
}

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/**
 * PostgreSQL's binary COPY format: a header (signature, flags, extension), then per row a 16-bit
 * field count and each field as a 32-bit length and its bytes, then a count of -1. Rows here are
 * (int8 sequence, text prevHash, text hash, text hashInput).
 */
export function binaryRecordDecoder(): CopyDecoder<HashedRecord> {
  let leftover: Buffer | null = null;
  let headerRead = false;
  let ended = false;
  return {
    push(chunk, records) {
      // A copy: pg reuses its read buffer, and records keep views into this one.
      const buf = leftover ? Buffer.concat([leftover, chunk]) : Buffer.from(chunk);
      leftover = null;
      let offset = 0;
      if (!headerRead) {
        if (buf.length < 19) {
          leftover = buf;
          return;
        }
        if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error("COPY did not return its binary format");
        const extension = buf.readUInt32BE(15);
        if (buf.length < 19 + extension) {
          leftover = buf;
          return;
        }
        offset = 19 + extension;
        headerRead = true;
      }
      while (offset + 2 <= buf.length) {
        const fieldCount = buf.readInt16BE(offset);
        if (fieldCount === -1) {
          ended = true;
          offset += 2;
          break;
        }
        if (fieldCount !== 4) throw new Error(`COPY returned a row with ${fieldCount} fields, expected 4`);
        // Field positions: [start, end) of each of the four, or the row is incomplete.
        const bounds: number[] = [];
        let at = offset + 2;
        for (let field = 0; field < 4; field++) {
          if (at + 4 > buf.length) break;
          const length = buf.readInt32BE(at);
          if (length < 0) throw new Error("COPY returned NULL in a chain column");
          if (at + 4 + length > buf.length) break;
          bounds.push(at + 4, at + 4 + length);
          at += 4 + length;
        }
        if (bounds.length < 8) break;
        if (bounds[1] - bounds[0] !== 8) throw new Error("COPY returned a sequence that is not an int8");
        records.push({
          sequence: buf.readBigInt64BE(bounds[0]),
          prevHash: buf.toString("utf8", bounds[2], bounds[3]),
          hash: buf.toString("utf8", bounds[4], bounds[5]),
          hashInput: buf.subarray(bounds[6], bounds[7]),
        });
        offset = at;
      }
      if (offset < buf.length) leftover = buf.subarray(offset);
    },
    end() {
      if (!ended || leftover) throw new Error("COPY ended in the middle of a row");
    },
  };
}
