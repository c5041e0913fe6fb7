import { hash } from "node:crypto";

/** The hash the first event links to. */
export const GENESIS_HASH = "0".repeat(64);

export interface ChainedEventContent {
  sequence: bigint;
  occurredAt: Date;
  actorType: string;
  actorId: string;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  runId: string | null;
  repositoryId: string | null;
  payload: unknown;
}

/**
 * JSON with object keys sorted at every level, so the same content always has the same bytes
 * (PostgreSQL's jsonb does not keep key order). Written as loops with string concatenation: the
 * verifier runs it once per event, and the array-per-level version allocated most of its time.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") {
    if (typeof value === "bigint") return JSON.stringify(value.toString());
    return JSON.stringify(value) ?? "null";
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, the same order as `a < b`.
  const keys = Object.keys(record).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The hashed fields as JSON values (sequence as a string, time as ISO 8601), in column order.
 * Exports write exactly these, so an export can be re-hashed offline.
 */
export function chainedFields(event: ChainedEventContent) {
  return {
    sequence: event.sequence.toString(),
    occurredAt: event.occurredAt.toISOString(),
    actorType: event.actorType,
    actorId: event.actorId,
    actorLabel: event.actorLabel,
    action: event.action,
    subjectType: event.subjectType,
    subjectId: event.subjectId,
    runId: event.runId,
    repositoryId: event.repositoryId,
    payload: event.payload,
  };
}

/** The exact text an event's hash covers, and what `AuditEvent.content` stores. */
export function eventContent(event: ChainedEventContent): string {
  return canonicalJson(chainedFields(event));
}

/** The chain's hash: SHA-256 over the previous hash, a line break and the event's content text. */
export function contentHash(prevHash: string, contentText: string): string {
  return sha256Hex(`${prevHash}\n${contentText}`);
}

/** SHA-256 over the previous hash and the event's canonical content. */
export function eventHash(prevHash: string, event: ChainedEventContent): string {
  return contentHash(prevHash, eventContent(event));
}

/** One-shot SHA-256 (crypto.hash): for small inputs about twice as fast as a createHash object. */
export function sha256Hex(input: string | Buffer): string {
  return hash("sha256", input, "hex");
}

/**
 * An event as PostgreSQL prints it, every field text: sequence as digits, occurredAt already as
 * ISO 8601 (to_char on the server), and its stored content for the payload. What a contiguous
 * export reads, so it never builds Dates, BigInts or Prisma objects per event.
 */
export interface ChainRow {
  sequence: string;
  occurredAt: string;
  actorType: string;
  actorId: string;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  runId: string | null;
  repositoryId: string | null;
  content: string;
  prevHash: string;
  hash: string;
}

/**
 * The payload as canonical JSON, cut out of an event's stored content without parsing it. In
 * canonical content the top-level keys are sorted, so the payload follows `"occurredAt"` and is
 * followed by `"repositoryId"`, and only string or null values come after it: the last
 * `,"repositoryId":` is the top-level one (a quote inside a string is escaped). Content stored
 * before it was canonical (jsonb text, which starts with the shortest key) is parsed instead.
 */
export function canonicalPayloadOf(content: string): string {
  if (content.startsWith('{"action":')) {
    const start = content.indexOf(PAYLOAD_KEY);
    const end = content.lastIndexOf(',"repositoryId":');
    if (start >= 0 && end > start) return content.slice(start + PAYLOAD_KEY.length, end);
  }
  return canonicalJson((JSON.parse(content) as { payload: unknown }).payload);
}

const PAYLOAD_KEY = ',"payload":';

/**
 * Walks the chain in sequence order, one stored event at a time, and stops at the first break.
 * It takes each event as the verifier reads it: its sequence, its links and the bytes its hash
 * covers (`prevHash`, a line break and the stored content). The queryable columns are generated
 * from the content (migration 20261203000000_audit_content), so checking the bytes checks them
 * too, and nothing is parsed or re-serialized per event.
 */
export class ChainWalker {
  private nextSequence: number;
  private previousHash: string;
  checked = 0;
  broken: ChainBreak | null = null;

  /** Starts after an event known good (a checkpoint), or at the genesis. */
  constructor(start: { sequence: bigint; hash: string } | null) {
    // A Number, not a BigInt, per event: exact up to 2^53 events.
    this.nextSequence = start ? Number(start.sequence) + 1 : 1;
    this.previousHash = start?.hash ?? GENESIS_HASH;
  }

  /** The last event known good: the last one checked, or the start. */
  get verifiedThrough(): { sequence: bigint; hash: string } | null {
    return this.nextSequence > 1 ? { sequence: BigInt(this.nextSequence - 1), hash: this.previousHash } : null;
  }

  /** Checks the next event; false once the chain is broken (at this event or before). */
  visit(sequence: number, prevHash: string, hash: string, hashInput: Buffer): boolean {
    if (this.broken) return false;
    if (sequence !== this.nextSequence) return this.stop({ kind: "gap", sequence: BigInt(sequence), expected: BigInt(this.nextSequence) });
    if (prevHash !== this.previousHash) return this.stop({ kind: "link", sequence: BigInt(sequence), expectedPrevHash: this.previousHash, storedPrevHash: prevHash });
    const expectedHash = sha256Hex(hashInput);
    if (hash !== expectedHash && hash !== canonicalizedHash(prevHash, hashInput)) {
      return this.stop({ kind: "content", sequence: BigInt(sequence), expectedHash, storedHash: hash });
    }
    this.previousHash = hash;
    this.nextSequence += 1;
    this.checked += 1;
    return true;
  }

  private stop(problem: ChainBreak) {
    this.broken = problem;
    return false;
  }
}

/**
 * The hash of an event whose stored content is not canonical JSON: events written before content
 * was stored got theirs from their columns as jsonb text (same values, other key order and
 * spacing), and their hashes cover the canonical form. Any other event reaches this only if it
 * was edited; then its content either fails to parse or hashes to something else.
 */
function canonicalizedHash(prevHash: string, hashInput: Buffer): string | null {
  let content: unknown;
  try {
    content = JSON.parse(hashInput.toString("utf8", Buffer.byteLength(prevHash) + 1));
  } catch {
    return null;
  }
  return contentHash(prevHash, canonicalJson(content));
}

export type ChainBreak =
  | { kind: "gap"; sequence: bigint; expected: bigint }
  | { kind: "link"; sequence: bigint; expectedPrevHash: string; storedPrevHash: string }
  | { kind: "content"; sequence: bigint; expectedHash: string; storedHash: string }
  /** The event a checkpoint or an anchor vouched for no longer has that hash (or is gone). */
  | { kind: "rewritten"; sequence: bigint; expectedHash: string; storedHash: string | null; vouchedBy: string };

export interface StoredEvent extends ChainedEventContent {
  prevHash: string;
  hash: string;
}

/**
 * Checks one event against the one before it. Pure, so the verifier and offline export checks
 * share it.
 */
export function checkLink(previous: { sequence: bigint; hash: string } | null, event: StoredEvent): ChainBreak | null {
  const expectedSequence = previous ? previous.sequence + 1n : 1n;
  if (event.sequence !== expectedSequence) return { kind: "gap", sequence: event.sequence, expected: expectedSequence };
  const expectedPrevHash = previous ? previous.hash : GENESIS_HASH;
  if (event.prevHash !== expectedPrevHash) {
    return { kind: "link", sequence: event.sequence, expectedPrevHash, storedPrevHash: event.prevHash };
  }
  const expectedHash = eventHash(event.prevHash, event);
  if (event.hash !== expectedHash) return { kind: "content", sequence: event.sequence, expectedHash, storedHash: event.hash };
  return null;
}

export function describeBreak(problem: ChainBreak): string {
  switch (problem.kind) {
    case "gap":
      return `sequence ${problem.expected} is missing (next stored event is ${problem.sequence}): an event was deleted`;
    case "link":
      return `event ${problem.sequence} does not link to the event before it: events were reordered or replaced`;
    case "content":
      return `event ${problem.sequence} does not match its hash: its content was edited`;
    case "rewritten":
      return problem.storedHash === null
        ? `event ${problem.sequence}, which ${problem.vouchedBy} vouched for, is missing: the chain was cut back`
        : `event ${problem.sequence} no longer has the hash ${problem.vouchedBy} recorded: the chain was rewritten up to it`;
  }
}
