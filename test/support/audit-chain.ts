import { eventHash, GENESIS_HASH, type StoredEvent } from "@/lib/audit/chain";

type Query = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * Inserts already-chained events in one statement (unnest of arrays): appending many thousands
 * one by one through appendAuditEvent would dominate a test or benchmark.
 */
export async function insertChainedEvents(query: Query, events: StoredEvent[]) {
  if (events.length === 0) return;
  const column = <K extends keyof StoredEvent>(key: K) => events.map((e) => e[key]);
  await query(
    `INSERT INTO "AuditEvent" (sequence, "occurredAt", "actorType", "actorId", "actorLabel", action, "subjectType", "subjectId", "runId", "repositoryId", payload, "prevHash", hash)
     SELECT s, o::timestamp, a::"ActorType", ai, al, ac, st, si, r, rp, p::jsonb, ph, h
     FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
       AS u(s, o, a, ai, al, ac, st, si, r, rp, p, ph, h)`,
    [
      column("sequence").map(String),
      // timestamp(3) without time zone holds UTC: drop the Z so nothing converts it.
      events.map((e) => e.occurredAt.toISOString().slice(0, -1)),
      column("actorType"),
      column("actorId"),
      column("actorLabel"),
      column("action"),
      column("subjectType"),
      column("subjectId"),
      column("runId"),
      column("repositoryId"),
      events.map((e) => JSON.stringify(e.payload)),
      column("prevHash"),
      column("hash"),
    ],
  );
}

export interface ChainShape {
  /** The first event's sequence; the chain continues one that ends just before it. */
  firstSequence?: number;
  /** The hash the first event links to (the genesis hash for sequence 1). */
  prevHash?: string;
  /** The first event's time. */
  startAt?: number;
  /** Time between two events (10 ms unless set: a benchmark spreads them over months). */
  spacingMs?: number;
  /** Label of the people among the actors (a forged chain uses another). */
  actorLabel?: string;
  repositories?: number;
}

/**
 * A valid chain shaped like the engine's (a run id, a repository, a payload of a few fields, a
 * person every third event), hashed with eventHash, in batches so millions never sit in memory.
 */
export function* chainBatches(count: number, shape: ChainShape = {}, batchSize = 5000): Generator<StoredEvent[]> {
  let prevHash = shape.prevHash ?? GENESIS_HASH;
  const first = shape.firstSequence ?? 1;
  const start = shape.startAt ?? Date.UTC(2026, 0, 1);
  const repositories = shape.repositories ?? 20;
  const spacing = shape.spacingMs ?? 10;
  for (let from = first; from < first + count; from += batchSize) {
    const batch: StoredEvent[] = [];
    for (let i = from; i < Math.min(from + batchSize, first + count); i++) {
      const person = i % 3 === 0;
      const content = {
        sequence: BigInt(i),
        occurredAt: new Date(start + (i - first) * spacing),
        actorType: person ? "user" : "agent",
        actorId: person ? `user-${i % 17}` : "review",
        actorLabel: person ? `${shape.actorLabel ?? "person"}${i % 17}@example.com` : "review agent",
        action: ["run.submitted", "stage.decided", "run.escalated", "escalation.decided"][i % 4],
        subjectType: "run",
        subjectId: `run-${Math.floor(i / 8)}`,
        runId: `run-${Math.floor(i / 8)}`,
        repositoryId: `repo-${i % repositories}`,
        payload: { stage: "review", risk: i % 10, reasons: ["large_diff", "touches_auth"], note: `decision ${i}, "quoted"` },
      };
      const hash = eventHash(prevHash, content);
      batch.push({ ...content, prevHash, hash });
      prevHash = hash;
    }
    yield batch;
  }
}

export function buildChain(count: number, shape: ChainShape = {}): StoredEvent[] {
  return [...chainBatches(count, shape)].flat();
}
