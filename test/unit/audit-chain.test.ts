import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalPayloadOf, checkLink, eventContent, eventHash, GENESIS_HASH, type StoredEvent } from "@/lib/audit/chain/chain";

function chain(length: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= length; i++) {
    const content = {
      sequence: BigInt(i),
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      actorType: "agent",
      actorId: "review",
      actorLabel: "review agent",
      action: "stage.decided",
      subjectType: "run",
      subjectId: `run-${i}`,
      runId: `run-${i}`,
      repositoryId: null,
      payload: { risk: i, nested: { b: 1, a: [1, 2] } },
    };
    const hash = eventHash(prevHash, content);
    events.push({ ...content, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe("the canonical payload cut out of stored content", () => {
  const payloads: unknown[] = [
    { risk: 1, nested: { b: 1, a: [1, 2] } },
    // Keys and strings that look like the top level's: only the top-level ones may count.
    { repositoryId: "x", zz: { repositoryId: null, payload: 1 }, text: ',"repositoryId":"r","payload":{}' },
    {},
    [],
    "just text",
    null,
  ];
  it.each(payloads.map((payload) => [payload]))("is the payload's canonical JSON: %j", (payload) => {
    const [event] = chain(1);
    for (const repositoryId of [null, "repo-1", ',"repositoryId":"fake"']) {
      const content = eventContent({ ...event, payload, repositoryId });
      expect(canonicalPayloadOf(content)).toBe(canonicalJson(payload));
      // Content stored before it was canonical is jsonb text: other key order, spaces.
      const parsed = JSON.parse(content) as Record<string, unknown>;
      const asJsonb = JSON.stringify(Object.fromEntries(Object.keys(parsed).reverse().map((key) => [key, parsed[key]])), null, 1);
      expect(canonicalPayloadOf(asJsonb)).toBe(canonicalJson(payload));
    }
  });
});

describe("canonical JSON", () => {
  it("is independent of key order at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe(canonicalJson({ a: { c: [3, { e: 2, f: 1 }], d: 2 }, b: 1 }));
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it("drops undefined fields as JSON storage would", () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });
});

describe("chain links", () => {
  it("accepts an intact chain", () => {
    const events = chain(5);
    let previous: StoredEvent | null = null;
    for (const event of events) {
      expect(checkLink(previous, event)).toBeNull();
      previous = event;
    }
  });

  it("detects an edited payload at that exact event", () => {
    const events = chain(3);
    const edited = { ...events[1], payload: { risk: 1, nested: { b: 1, a: [1, 2] } } };
    expect(checkLink(events[0], edited)).toMatchObject({ kind: "content", sequence: 2n });
  });

  it("detects a deleted event as a gap", () => {
    const events = chain(3);
    expect(checkLink(events[0], events[2])).toMatchObject({ kind: "gap", sequence: 3n, expected: 2n });
  });

  it("detects a swapped pair even when sequence numbers are rewritten", () => {
    const events = chain(3);
    const swapped = { ...events[2], sequence: 2n };
    expect(checkLink(events[0], swapped)).toMatchObject({ kind: "link", sequence: 2n });
  });

  it("requires the first event to link to the genesis hash", () => {
    const [first] = chain(1);
    expect(checkLink(null, { ...first, prevHash: "f".repeat(64) })).toMatchObject({ kind: "link", sequence: 1n });
  });
});
