import { describe, expect, it } from "vitest";
import type { HashedRecord } from "@/lib/audit/chain";
import { binaryRecordDecoder } from "@/lib/audit/read-hashed-records";

/** What `COPY (SELECT sequence, "prevHash", hash, "prevHash" || E'\n' || content) TO STDOUT (FORMAT binary)` sends. */
function binaryCopy(rows: { sequence: bigint; prevHash: string; hash: string; content: string }[], extension = Buffer.alloc(0)) {
  const header = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.from([0, 0, 0, 0]), u32(extension.length), extension]);
  const body = rows.map((row) => {
    const sequence = Buffer.alloc(8);
    sequence.writeBigInt64BE(row.sequence);
    const fields = [sequence, Buffer.from(row.prevHash), Buffer.from(row.hash), Buffer.from(`${row.prevHash}\n${row.content}`)];
    return Buffer.concat([Buffer.from([0, 4]), ...fields.flatMap((field) => [u32(field.length), field])]);
  });
  return Buffer.concat([header, ...body, Buffer.from([0xff, 0xff])]);
}

function u32(n: number) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function decodeInChunks(stream: Buffer, size: number) {
  const decoder = binaryRecordDecoder();
  const records: HashedRecord[] = [];
  for (let at = 0; at < stream.length; at += size) {
    // pg reuses its read buffer: overwrite each chunk after the decoder has seen it.
    const chunk = Buffer.from(stream.subarray(at, at + size));
    decoder.push(chunk, records);
    chunk.fill(0);
  }
  decoder.end();
  return records.map((r) => ({ sequence: r.sequence, prevHash: r.prevHash, hash: r.hash, hashInput: r.hashInput.toString() }));
}

const rows = [
  { sequence: 1n, prevHash: "0".repeat(64), hash: "a".repeat(64), content: '{"action":"run.submitted","payload":{"note":"Grüße ✓ 😀\\n"}}' },
  { sequence: 2n, prevHash: "a".repeat(64), hash: "b".repeat(64), content: "{}" },
  { sequence: 9_007_199_254_740_993n, prevHash: "b".repeat(64), hash: "c".repeat(64), content: '{"x":1}' },
];
const expected = rows.map((r) => ({ sequence: r.sequence, prevHash: r.prevHash, hash: r.hash, hashInput: `${r.prevHash}\n${r.content}` }));

describe("the binary COPY decoder of the audit verifier", () => {
  it.each([1, 2, 5, 19, 64, 100_000])("decodes the same records whatever the chunk size (%i bytes)", (size) => {
    expect(decodeInChunks(binaryCopy(rows), size)).toEqual(expected);
  });

  it("skips a header extension", () => {
    expect(decodeInChunks(binaryCopy(rows, Buffer.from("ext")), 3)).toEqual(expected);
  });

  it("refuses a stream that ends in the middle of a row, or a row of another shape", () => {
    const stream = binaryCopy(rows);
    expect(() => decodeInChunks(stream.subarray(0, stream.length - 20), 7)).toThrow(/middle of a row/);
    const threeFields = Buffer.from(stream);
    threeFields.writeInt16BE(3, 19);
    expect(() => decodeInChunks(threeFields, 1000)).toThrow(/3 fields, expected 4/);
    expect(() => decodeInChunks(Buffer.from("1\t0000000000000000\taaaaaaaaaaaaaaaa\n"), 1000)).toThrow(/binary format/);
  });
});
