import type { StoredEvent } from "@/lib/audit/chain";

type Query = (text: string, params: unknown[]) => Promise<unknown>;

/**
 * Inserts already-chained events in one statement (unnest of arrays): appending many thousands
 * one by one through appendAuditEvent would dominate a test or benchmark.
 */
export async function insertChainedEvents(query: Query, events: StoredEvent[]) {
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
