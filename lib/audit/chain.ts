import { createHash } from "node:crypto";

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
 * (PostgreSQL's jsonb does not keep key order).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "bigint") return JSON.stringify(value.toString());
    return JSON.stringify(value) ?? "null";
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
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

/** SHA-256 over the previous hash and the event's canonical content. */
export function eventHash(prevHash: string, event: ChainedEventContent): string {
  const content = canonicalJson(chainedFields(event));
  return createHash("sha256").update(prevHash).update("\n").update(content).digest("hex");
}

export type ChainBreak =
  | { kind: "gap"; sequence: bigint; expected: bigint }
  | { kind: "link"; sequence: bigint; expectedPrevHash: string; storedPrevHash: string }
  | { kind: "content"; sequence: bigint; expectedHash: string; storedHash: string };

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
  }
}
