import { eventContent, eventHash, GENESIS_HASH, type StoredEvent } from "@/lib/audit/chain";

type Query = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * Inserts already-chained events in one statement (unnest of arrays): appending many thousands
 * one by one through appendAuditEvent would dominate a test or benchmark.
 */
export async function insertChainedEvents(query: Query, events: StoredEvent[]) {
  if (events.length === 0) return;
  await query(
    `INSERT INTO "AuditEvent" (content, "prevHash", hash) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
    [events.map(eventContent), events.map((e) => e.prevHash), events.map((e) => e.hash)],
  );
}

/**
 * SQL that edits one field of an event (a path such as "payload,unicode") the only way left to a
 * database admin: in its hashed content, from which PostgreSQL generates the other columns. The
 * result is jsonb text, no longer canonical JSON. Run it with the append-only trigger disabled.
 */
export function editEventSql(sequence: number, path: string, valueJson: string) {
  return `UPDATE "AuditEvent" SET content = jsonb_set(content::jsonb, '{${path}}', '${valueJson.replaceAll("'", "''")}')::text WHERE sequence = ${sequence}`;
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
