-- The audit event stores the exact bytes its hash covers (`content`, canonical JSON), and every
-- queryable column becomes a STORED generated projection of them (ADR 003). The verifier then
-- hashes "prevHash" || E'\n' || content straight off a binary COPY, with no parsing and no
-- re-serialization per event, and nobody can change a column without changing the hashed bytes:
-- PostgreSQL refuses an UPDATE of a generated column even with the append-only trigger disabled.
-- (\073 is a semicolon: the migration runner splits statements at every literal one.)

-- Immutable wrappers for the two casts PostgreSQL marks STABLE. Text to timestamp depends on
-- DateStyle only for ambiguous input, and the appender always writes ISO 8601 in UTC with a Z.
-- Text to an enum is STABLE because a label could be renamed, which this migration's successors
-- would have to handle anyway (the hashed bytes keep the old label).
CREATE FUNCTION "audit_content_time"(iso text) RETURNS timestamp(3) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
E'SELECT rtrim(iso, ''Z'')::timestamp(3)';

CREATE FUNCTION "audit_content_actor_type"(label text) RETURNS "ActorType" LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
E'SELECT label::"ActorType"';

-- Events written before this migration get their content from their columns, as jsonb text. It
-- is not canonical (jsonb orders keys its own way and adds spaces), so the verifier checks these
-- events the old way: parse, write canonical JSON, hash. Their hashes are unchanged.
ALTER TABLE "AuditEvent" ADD COLUMN "content" TEXT;

ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only";

UPDATE "AuditEvent" SET "content" = jsonb_build_object(
  'sequence', "sequence"::text,
  'occurredAt', to_char("occurredAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'actorType', "actorType"::text,
  'actorId', "actorId",
  'actorLabel', "actorLabel",
  'action', "action",
  'subjectType', "subjectType",
  'subjectId', "subjectId",
  'runId', "runId",
  'repositoryId', "repositoryId",
  'payload', "payload")::text;

ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only";

ALTER TABLE "AuditEvent" ALTER COLUMN "content" SET NOT NULL;

-- Dropping the columns drops their indexes and the primary key, which are made again below.
ALTER TABLE "AuditEvent"
  DROP COLUMN "sequence",
  DROP COLUMN "occurredAt",
  DROP COLUMN "actorType",
  DROP COLUMN "actorId",
  DROP COLUMN "actorLabel",
  DROP COLUMN "action",
  DROP COLUMN "subjectType",
  DROP COLUMN "subjectId",
  DROP COLUMN "runId",
  DROP COLUMN "repositoryId",
  DROP COLUMN "payload",
  ADD COLUMN "sequence" BIGINT NOT NULL GENERATED ALWAYS AS ((("content")::jsonb ->> 'sequence')::bigint) STORED,
  ADD COLUMN "occurredAt" TIMESTAMP(3) NOT NULL GENERATED ALWAYS AS ("audit_content_time"(("content")::jsonb ->> 'occurredAt')) STORED,
  ADD COLUMN "actorType" "ActorType" NOT NULL GENERATED ALWAYS AS ("audit_content_actor_type"(("content")::jsonb ->> 'actorType')) STORED,
  ADD COLUMN "actorId" TEXT NOT NULL GENERATED ALWAYS AS (("content")::jsonb ->> 'actorId') STORED,
  ADD COLUMN "actorLabel" TEXT NOT NULL GENERATED ALWAYS AS (("content")::jsonb ->> 'actorLabel') STORED,
  ADD COLUMN "action" TEXT NOT NULL GENERATED ALWAYS AS (("content")::jsonb ->> 'action') STORED,
  ADD COLUMN "subjectType" TEXT NOT NULL GENERATED ALWAYS AS (("content")::jsonb ->> 'subjectType') STORED,
  ADD COLUMN "subjectId" TEXT NOT NULL GENERATED ALWAYS AS (("content")::jsonb ->> 'subjectId') STORED,
  ADD COLUMN "runId" TEXT GENERATED ALWAYS AS (("content")::jsonb ->> 'runId') STORED,
  ADD COLUMN "repositoryId" TEXT GENERATED ALWAYS AS (("content")::jsonb ->> 'repositoryId') STORED,
  ADD COLUMN "payload" JSONB NOT NULL GENERATED ALWAYS AS (("content")::jsonb -> 'payload') STORED;

ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("sequence");

CREATE INDEX "AuditEvent_occurredAt_idx" ON "AuditEvent"("occurredAt");

CREATE INDEX "AuditEvent_runId_sequence_idx" ON "AuditEvent"("runId", "sequence");

CREATE INDEX "AuditEvent_action_occurredAt_idx" ON "AuditEvent"("action", "occurredAt");

CREATE INDEX "AuditEvent_repositoryId_occurredAt_idx" ON "AuditEvent"("repositoryId", "occurredAt");

CREATE INDEX "AuditEvent_actorId_occurredAt_idx" ON "AuditEvent"("actorId", "occurredAt");

CREATE INDEX "AuditEvent_action_sequence_idx" ON "AuditEvent"("action", "sequence");

CREATE INDEX "AuditEvent_repositoryId_sequence_idx" ON "AuditEvent"("repositoryId", "sequence");

CREATE INDEX "AuditEvent_actorLabel_lower_idx" ON "AuditEvent"(lower("actorLabel") text_pattern_ops);

CREATE INDEX "AuditEvent_payload_decision_idx" ON "AuditEvent"((payload->>'decision'));

CREATE INDEX "AuditEvent_payload_outcome_idx" ON "AuditEvent"((payload->>'outcome'));
