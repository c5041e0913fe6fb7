-- The audit event's payload is read from its hashed content instead of a stored copy (ADR 003,
-- amended 2026-12-03). The generated "payload" column duplicated most of "content": an event the
-- engine writes (about 1.1 KB of content) took a row past the 2 KB at which PostgreSQL compresses
-- it (pglz), and 200k such events took 361 MB instead of 228 MB. Read from "content", the payload
-- is also exactly what the hash covers, with no projection of it in between.
--
-- Dropping a column is DDL: it fires no row trigger, so the append-only trigger stays enabled.
-- It does not rewrite the table either: rows written before keep their copy of the payload on
-- disk, unreachable, until the table is rewritten (VACUUM FULL "AuditEvent" at a quiet time).

-- The decision filter's indexes go with the column and are made again below on the content.
DROP INDEX "AuditEvent_payload_decision_idx";

DROP INDEX "AuditEvent_payload_outcome_idx";

ALTER TABLE "AuditEvent" DROP COLUMN "payload";

-- The audit search's decision filter: the payload's decision (people) or outcome (agents). The
-- search must write exactly these expressions for the planner to use them. Not partial, although
-- most events carry neither: the planner takes selectivity statistics only from the expressions of
-- non-partial indexes (see the 20261125020000_audit migration).
CREATE INDEX "AuditEvent_content_decision_idx" ON "AuditEvent"((("content")::jsonb -> 'payload' ->> 'decision'));

CREATE INDEX "AuditEvent_content_outcome_idx" ON "AuditEvent"((("content")::jsonb -> 'payload' ->> 'outcome'));
