import { describe, expect, it } from "vitest";
import { ChainWalker, eventContent, type StoredEvent } from "@/lib/audit/chain/chain";
import { binaryChainDecoder, type EventVisitor } from "@/lib/audit/verify/walk-stored-chain";
import { buildChain } from "../support/audit-chain";

/** What `COPY (SELECT sequence, "prevHash", hash, "prevHash" || E'\n' || content) TO STDOUT (FORMAT binary)` sends. */
function binaryCopy(events: StoredEvent[], options: { extension?: Buffer; content?: (event: StoredEvent) => string } = {}) {
  const extension = options.extension ?? Buffer.alloc(0);
  const header = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), u32(0), u32(extension.length), extension]);
  const rows = events.map((event) => {
    const sequence = Buffer.alloc(8);
    sequence.writeBigInt64BE(event.sequence);
    const content = (options.content ?? eventContent)(event);
    const fields = [sequence, Buffer.from(event.prevHash), Buffer.from(event.hash), Buffer.from(`${event.prevHash}\n${content}`)];
    return Buffer.concat([Buffer.from([0, 4]), ...fields.flatMap((field) => [u32(field.length), field])]);
  });
  return Buffer.concat([header, ...rows, Buffer.from([0xff, 0xff])]);
}

function u32(n: number) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Feeds the stream in chunks of `size` bytes, as pg hands CopyData messages over. */
function feed(stream: Buffer, size: number, visitor: EventVisitor) {
  const decoder = binaryChainDecoder(visitor);
  const walked: number[] = [];
  for (let at = 0; at < stream.length; at += size) {
    // pg reuses its read buffer: overwrite each chunk once the decoder has seen it.
    const chunk = Buffer.from(stream.subarray(at, at + size));
    decoder.push(chunk, walked);
    chunk.fill(0);
  }
  decoder.end();
  return walked.reduce((a, b) => a + b, 0);
}

const chain = buildChain(12);

describe("the binary COPY decoder of the audit verifier", () => {
  it.each([1, 2, 5, 19, 64, 1000, 100_000])("walks the same events whatever the chunk size (%i bytes)", (size) => {
    const seen: unknown[] = [];
    const probe: EventVisitor = { broken: null, visit: (sequence, prevHash, hash, hashInput) => seen.push({ sequence, prevHash, hash, hashInput: hashInput.toString() }) > 0 };
    expect(feed(binaryCopy(chain), size, probe)).toBe(12);
    expect(seen).toEqual(chain.map((e) => ({ sequence: Number(e.sequence), prevHash: e.prevHash, hash: e.hash, hashInput: `${e.prevHash}\n${eventContent(e)}` })));

    const walker = new ChainWalker(null);
    feed(binaryCopy(chain), size, walker);
    expect(walker).toMatchObject({ checked: 12, broken: null, verifiedThrough: { sequence: 12n, hash: chain[11].hash } });
  });

  it("skips a header extension", () => {
    const walker = new ChainWalker(null);
    feed(binaryCopy(chain, { extension: Buffer.from("ext") }), 3, walker);
    expect(walker).toMatchObject({ checked: 12, broken: null });
  });

  it("stops at an edited event and reads no further", () => {
    const edited = (event: StoredEvent) => (event.sequence === 7n ? eventContent(event).replace('"risk":7', '"risk":1') : eventContent(event));
    const walker = new ChainWalker(null);
    expect(feed(binaryCopy(chain, { content: edited }), 50, walker)).toBeLessThanOrEqual(7);
    expect(walker).toMatchObject({ checked: 6, broken: { kind: "content", sequence: 7n }, verifiedThrough: { sequence: 6n } });
  });

  it("accepts content stored as jsonb text (events from before content was stored), and catches an edit to it", () => {
    const asJsonb = (event: StoredEvent) => JSON.stringify(JSON.parse(eventContent(event)), null, 1);
    const walker = new ChainWalker(null);
    feed(binaryCopy(chain, { content: asJsonb }), 64, walker);
    expect(walker).toMatchObject({ checked: 12, broken: null });
    const editedJsonb = (event: StoredEvent) => (event.sequence === 3n ? asJsonb(event).replace('"run-0"', '"run-9"') : asJsonb(event));
    const second = new ChainWalker(null);
    feed(binaryCopy(chain, { content: editedJsonb }), 64, second);
    expect(second.broken).toMatchObject({ kind: "content", sequence: 3n });
  });

  it("refuses a stream that ends in the middle of a row, or a row of another shape", () => {
    const stream = binaryCopy(chain);
    expect(() => feed(stream.subarray(0, stream.length - 20), 7, new ChainWalker(null))).toThrow(/middle of a row/);
    const threeFields = Buffer.from(stream);
    threeFields.writeInt16BE(3, 19);
    expect(() => feed(threeFields, 1000, new ChainWalker(null))).toThrow(/3 fields, expected 4/);
    expect(() => feed(Buffer.from("1\t0000000000000000\taaaaaaaaaaaaaaaa\n"), 1000, new ChainWalker(null))).toThrow(/binary format/);
  });
});
