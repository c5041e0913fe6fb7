import type { Prisma } from "../../db/client";
import { contentHash, eventContent, GENESIS_HASH } from "./chain";
import type { AuditEventWithPayload } from "./event-payload";

export type AuditActor =
  | { type: "user"; id: string; label: string }
  | { type: "agent"; id: string; label: string }
  | { type: "system"; id: string; label: string };

export interface AuditEventInput {
  actor: AuditActor;
  action: string;
  subject: { type: string; id: string };
  runId?: string | null;
  repositoryId?: string | null;
  payload: Record<string, unknown>;
}

// Any constant works; it names the lock that serializes appends across every process.
const AUDIT_APPEND_LOCK = 7_310_447_001;

/**
 * The chain's head as of this transaction's last append. Once a transaction holds the append lock
 * nobody else can append until it ends, so its second and later events link to the head it wrote
 * itself without taking the lock and reading the head again (two statements fewer per event on
 * the engine's hot path). Keyed by the transaction client, which lives as long as the transaction.
 */
const headWrittenBy = new WeakMap<Prisma.TransactionClient, { sequence: bigint; hash: string }>();

/**
 * Appends one event to the hash chain. Must run inside the transaction that makes the change it
 * records, so the event commits with the change or not at all. The transaction-scoped advisory
 * lock makes concurrent appenders wait their turn, so the chain can never fork.
 */
export async function appendAuditEvent(tx: Prisma.TransactionClient, input: AuditEventInput) {
  let last = headWrittenBy.get(tx) ?? null;
  if (!last) {
    // Takes the append lock, then reads the head with a snapshot taken after it (see the
    // migration 20261125060000_audit_head for why that needs a function).
    const [head] = await tx.$queryRaw<{ sequence: string; hash: string }[]>`SELECT sequence::text, hash FROM "audit_lock_and_read_head"(${AUDIT_APPEND_LOCK}::bigint)`;
    last = head ? { sequence: BigInt(head.sequence), hash: head.hash } : null;
  }
  const sequence = (last?.sequence ?? 0n) + 1n;
  const prevHash = last?.hash ?? GENESIS_HASH;
  // Round-trip through JSON so the payload hashed and returned is plain JSON, the same values a
  // reader parses out of the stored content (toJSON applied, undefined fields gone).
  const payload = JSON.parse(JSON.stringify(input.payload, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  const content = {
    sequence,
    occurredAt: new Date(),
    actorType: input.actor.type,
    actorId: input.actor.id,
    actorLabel: input.actor.label,
    action: input.action,
    subjectType: input.subject.type,
    subjectId: input.subject.id,
    runId: input.runId ?? null,
    repositoryId: input.repositoryId ?? null,
    payload,
  };
  const contentText = eventContent(content);
  const hash = contentHash(prevHash, contentText);
  // Only the hashed text and the links are written: every other column is generated from the
  // text by PostgreSQL (ADR 003), and the payload is read from the text itself. The text keeps
  // numbers as JSON.stringify wrote them (Prisma's Json serialization would round 0.1 + 0.2 to 0.3).
  await tx.$executeRaw`INSERT INTO "AuditEvent" (content, "prevHash", hash) VALUES (${contentText}, ${prevHash}, ${hash})`;
  // A client outside a transaction (which has $transaction) released the lock with its statement.
  if (!("$transaction" in tx)) headWrittenBy.set(tx, { sequence, hash });
  const event: AuditEventWithPayload = { ...content, payload, content: contentText, prevHash, hash };
  return event;
}
