import { z } from "zod";
import type { Db } from "../../db/client";
import { Prisma } from "../../db/generated/client";
import { checkLink, describeBreak } from "../chain/chain";
import { withPayload } from "../chain/event-payload";

export const actorTypes = ["agent", "user", "system"] as const;
/** Values a payload's `decision` (people) or `outcome` (agents) can take. */
export const decisionValues = ["approve", "reject", "request_changes", "pass", "escalate", "fail", "rollback", "error"] as const;

export const MAX_PAGE_SIZE = 200;

/** Audit sequence numbers: positive integers that fit PostgreSQL's bigint. */
const sequenceString = z.string().trim().regex(/^[1-9]\d{0,18}$/, "a sequence number (a positive integer)");

/** A full ISO timestamp with its offset, or a date (midnight UTC): no guessing of time zones. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "an ISO 8601 time with offset (2025-01-31T09:00:00Z) or a date (2025-01-31)" })
  .transform((value) => new Date(value));

/**
 * The auditor's filter. Query parameters arrive as strings; unknown parameters are refused, so a
 * misspelt filter is a 422 rather than a silently unfiltered list.
 */
export const auditSearchSchema = z
  .strictObject({
    /** Inclusive lower bound on occurredAt. */
    from: instant.optional(),
    /** Exclusive upper bound on occurredAt. */
    to: instant.optional(),
    repository: z.string().trim().min(1).max(200).optional(),
    prNumber: z.coerce.number().int().positive().optional(),
    runId: z.string().trim().min(1).max(64).optional(),
    actorType: z.enum(actorTypes).optional(),
    /** An actor id exactly, or the start of an actor label (case-insensitive), e.g. an email. */
    actor: z.string().trim().min(1).max(200).optional(),
    /** An action exactly, or a prefix ending in `*`: `escalation.*`. */
    action: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]+\*?$/, "an action (stage.decided) or a prefix ending in * (escalation.*)")
      .optional(),
    decision: z.enum(decisionValues).optional(),
    /** Keyset cursor: only events older than this sequence. */
    before: sequenceString.transform(BigInt).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
  })
  .superRefine((filter, ctx) => {
    if (filter.prNumber !== undefined && !filter.repository) {
      ctx.addIssue({ code: "custom", path: ["prNumber"], message: "a pull request number needs its repository" });
    }
    if (filter.from && filter.to && filter.from >= filter.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must be after from" });
    }
  });
export type AuditSearchInput = z.input<typeof auditSearchSchema>;
export type AuditSearchFilter = z.output<typeof auditSearchSchema>;

/** `?sequence=N`: one event by its sequence number. */
export const auditEventLookupSchema = z.object({ sequence: sequenceString });

export interface AuditEventRow {
  sequence: string;
  occurredAt: string;
  actor: { type: (typeof actorTypes)[number]; id: string; label: string };
  action: string;
  subject: { type: string; id: string };
  runId: string | null;
  repository: { id: string; name: string | null } | null;
  /** One line derived from the payload; the payload itself is fetched per event. */
  summary: string;
  hash: string;
}

export interface AuditEventPage {
  events: AuditEventRow[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** LIKE treats % and _ as wildcards; a prefix typed by a person means them literally. */
const likePrefix = (text: string) => `${text.replace(/[\\%_]/g, "\\$&")}%`;

/**
 * Repository and pull request resolved to ids first, and a time range to the sequences it spans,
 * so the event query compares indexed columns with known values.
 */
interface Scope {
  repositoryId?: string;
  prRunIds?: string[];
  /** The first sequence at or after `from`. */
  fromSequence?: bigint;
  /** The first sequence at or after `to` (exclusive). */
  toSequence?: bigint;
}

/**
 * A time range as sequence numbers. Sequence order is time order (occurredAt is stamped under the
 * append lock, ADR 003), so `occurredAt >= from` is `sequence >= the first event at or after from`.
 * With the range as sequences, a repository or action filter walks its (…, sequence) index
 * backwards from the range's end and stops after one page, however old the week is; filtering
 * occurredAt instead would read every later event of the repository first. Each bound is one
 * probe of the occurredAt index.
 */
const firstAtOrAfter = (at: Date | undefined) =>
  at ? Prisma.sql`(SELECT sequence FROM "AuditEvent" WHERE "occurredAt" >= ${at} ORDER BY "occurredAt", sequence LIMIT 1)` : Prisma.sql`NULL::bigint`;

/**
 * The time range's sequences and the repository's id, in one round trip (the search is three
 * statements at most). Null when the named repository or pull request does not exist, or nothing
 * happened at or after `from`: nothing can match.
 */
async function resolveScope(db: Db, filter: AuditSearchFilter): Promise<Scope | null> {
  if (!filter.from && !filter.to && !filter.repository) return {};
  const repositoryId = filter.repository ? Prisma.sql`(SELECT id FROM "Repository" WHERE name = ${filter.repository})` : Prisma.sql`NULL::text`;
  const [found] = await db.$queryRaw<{ fromSequence: bigint | null; toSequence: bigint | null; repositoryId: string | null }[]>`
    SELECT ${firstAtOrAfter(filter.from)} AS "fromSequence", ${firstAtOrAfter(filter.to)} AS "toSequence", ${repositoryId} AS "repositoryId"`;
  if (filter.from && found.fromSequence === null) return null;
  const range = { fromSequence: found.fromSequence ?? undefined, toSequence: found.toSequence ?? undefined };
  if (!filter.repository) return range;
  if (!found.repositoryId) return null;
  if (filter.prNumber === undefined) return { ...range, repositoryId: found.repositoryId };
  // Every event about a pull request carries one of its runs' ids (not always the repository's).
  const runs = await db.pipelineRun.findMany({ where: { pullRequest: { repositoryId: found.repositoryId, number: filter.prNumber } }, select: { id: true } });
  return runs.length > 0 ? { ...range, prRunIds: runs.map((r) => r.id) } : null;
}

function conditions(filter: AuditSearchFilter, scope: Scope): Prisma.Sql[] {
  const where: Prisma.Sql[] = [];
  if (filter.before !== undefined) where.push(Prisma.sql`e.sequence < ${filter.before}`);
  if (scope.fromSequence !== undefined) where.push(Prisma.sql`e.sequence >= ${scope.fromSequence}`);
  // The time range is these bounds alone. Repeating it as occurredAt conditions would be
  // redundant, and the planner, taking the two ranges for independent filters, would expect a
  // handful of rows and pick a bitmap scan plus sort over reading one index backwards.
  if (scope.toSequence !== undefined) where.push(Prisma.sql`e.sequence < ${scope.toSequence}`);
  if (scope.repositoryId) where.push(Prisma.sql`e."repositoryId" = ${scope.repositoryId}`);
  if (scope.prRunIds) where.push(Prisma.sql`e."runId" IN (${Prisma.join(scope.prRunIds)})`);
  if (filter.runId) where.push(Prisma.sql`e."runId" = ${filter.runId}`);
  if (filter.actorType) where.push(Prisma.sql`e."actorType" = ${filter.actorType}::"ActorType"`);
  // lower(...) LIKE 'prefix%' rather than ILIKE: it can use the lower("actorLabel") text_pattern_ops index.
  if (filter.actor) where.push(Prisma.sql`(e."actorId" = ${filter.actor} OR lower(e."actorLabel") LIKE lower(${likePrefix(filter.actor)}))`);
  if (filter.action?.endsWith("*")) where.push(Prisma.sql`e.action LIKE ${likePrefix(filter.action.slice(0, -1))}`);
  else if (filter.action) where.push(Prisma.sql`e.action = ${filter.action}`);
  // Spelt exactly as the expression indexes of the 20261204000000_audit_payload_from_content
  // migration, or the planner cannot use them.
  if (filter.decision) {
    where.push(Prisma.sql`(e.content::jsonb -> 'payload' ->> 'decision' = ${filter.decision} OR e.content::jsonb -> 'payload' ->> 'outcome' = ${filter.decision})`);
  }
  return where;
}

/** The payload fields a one-line summary is made of, extracted in SQL so whole payloads stay in the database. */
interface SummaryFields {
  decision: string | null;
  outcome: string | null;
  summary: string | null;
  rationale: string | null;
  title: string | null;
  pullRequest: string | null;
  stage: string | null;
  riskScore: string | null;
  error: string | null;
  payloadText: string;
}

interface ListRow extends SummaryFields {
  sequence: bigint;
  occurredAt: Date;
  actorType: AuditEventRow["actor"]["type"];
  actorId: string;
  actorLabel: string;
  action: string;
  subjectType: string;
  subjectId: string;
  runId: string | null;
  repositoryId: string | null;
  repositoryName: string | null;
  hash: string;
}

const SUMMARY_CHARS = 200;
const clip = (text: string) => (text.length > SUMMARY_CHARS ? `${text.slice(0, SUMMARY_CHARS - 1)}…` : text);

export function summarizePayload(f: SummaryFields): string {
  if (f.decision) return clip(`${f.decision.replace("_", " ")}${f.rationale ? `: ${f.rationale}` : ""}`);
  if (f.outcome) {
    const risk = f.riskScore ? ` · risk ${f.riskScore}` : "";
    return clip(`${f.stage ? `${f.stage} ` : ""}${f.outcome}${risk}${f.summary ? `: ${f.summary}` : ""}`);
  }
  if (f.title) return clip(`${f.pullRequest ? `#${f.pullRequest} ` : ""}${f.title}`);
  if (f.error) return clip(`${f.stage ? `${f.stage} ` : ""}error: ${f.error}`);
  return clip(f.payloadText === "{}" ? "" : f.payloadText);
}

function toRow(row: ListRow): AuditEventRow {
  return {
    sequence: row.sequence.toString(),
    occurredAt: row.occurredAt.toISOString(),
    actor: { type: row.actorType, id: row.actorId, label: row.actorLabel },
    action: row.action,
    subject: { type: row.subjectType, id: row.subjectId },
    runId: row.runId,
    repository: row.repositoryId ? { id: row.repositoryId, name: row.repositoryName } : null,
    summary: summarizePayload(row),
    hash: row.hash,
  };
}

/**
 * The page query for a filter, or null when nothing can match. Separate from running it so the
 * search benchmark can EXPLAIN exactly the statement the API sends.
 * Throws a ZodError on an invalid filter.
 */
export async function auditSearchQuery(db: Db, input: AuditSearchInput): Promise<{ filter: AuditSearchFilter; query: Prisma.Sql | null }> {
  const filter = auditSearchSchema.parse(input);
  const scope = await resolveScope(db, filter);
  if (!scope) return { filter, query: null };
  const where = conditions(filter, scope);
  // The page is found first, then each of its events' content is parsed once for the summary
  // fields. Written as one expression per field, the text would be parsed once per field (3.7 ms
  // instead of 0.65 ms for a page of 51 engine-shaped events). A function in FROM runs once per
  // row; a subquery there would be flattened back into the expressions.
  const query = Prisma.sql`
    SELECT e.sequence, e."occurredAt", e."actorType"::text AS "actorType", e."actorId", e."actorLabel", e.action,
           e."subjectType", e."subjectId", e."runId", e."repositoryId", repo.name AS "repositoryName", e.hash,
           p.payload->>'decision' AS decision, p.payload->>'outcome' AS outcome,
           left(p.payload->>'summary', ${SUMMARY_CHARS}) AS summary, left(p.payload->>'rationale', ${SUMMARY_CHARS}) AS rationale,
           left(p.payload->>'title', ${SUMMARY_CHARS}) AS title, p.payload->>'pullRequest' AS "pullRequest",
           p.payload->>'stage' AS stage, p.payload->>'riskScore' AS "riskScore",
           left(p.payload->>'error', ${SUMMARY_CHARS}) AS error, left(p.payload::text, ${SUMMARY_CHARS + 1}) AS "payloadText"
      FROM (SELECT e.* FROM "AuditEvent" e
             WHERE ${where.length > 0 ? Prisma.join(where, " AND ") : Prisma.sql`TRUE`}
             ORDER BY e.sequence DESC
             LIMIT ${filter.limit + 1}) e
      CROSS JOIN LATERAL jsonb_extract_path(e.content::jsonb, 'payload') AS p(payload)
      LEFT JOIN "Repository" repo ON repo.id = e."repositoryId"
     ORDER BY e.sequence DESC`;
  return { filter, query };
}

/**
 * One page of audit events, newest first. Keyset pagination on the primary key (`sequence <
 * before`), so page 1000 costs what page 1 costs: no OFFSET scan. Written in SQL because the
 * decision filter and the summary read inside the JSON payload; every value is a bound parameter.
 * Throws a ZodError on an invalid filter.
 */
export async function searchAuditEvents(db: Db, input: AuditSearchInput): Promise<AuditEventPage> {
  const { filter, query } = await auditSearchQuery(db, input);
  if (!query) return { events: [], nextCursor: null };
  const rows = await db.$queryRaw<ListRow[]>(query);
  // One row past the page says whether an older page exists without counting anything.
  const page = rows.slice(0, filter.limit).map(toRow);
  return { events: page, nextCursor: rows.length > filter.limit ? (page.at(-1)?.sequence ?? null) : null };
}

/** How one event stands on its own: its hash over its content, and its link to the event before. */
export interface EventIntegrity {
  ok: boolean;
  description: string;
}

/** The agent's stored decision an event refers to: prompt and response live here, not in the chain. */
export interface LinkedAgentDecision {
  id: string;
  agent: string;
  agentVersion: string;
  provider: string;
  model: string | null;
  inputHash: string;
  outcome: string;
  riskScore: number | null;
  rationale: string;
  output: unknown;
  prompt: string | null;
  response: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number | null;
  createdAt: string;
}

export interface AuditEventDetail extends Omit<AuditEventRow, "summary"> {
  payload: unknown;
  prevHash: string;
  integrity: EventIntegrity;
  agentDecision: LinkedAgentDecision | null;
}

async function checkEventIntegrity(db: Db, event: Parameters<typeof checkLink>[1]): Promise<EventIntegrity> {
  const previous = event.sequence > 1n ? await db.auditEvent.findUnique({ where: { sequence: event.sequence - 1n }, select: { sequence: true, hash: true } }) : null;
  if (event.sequence > 1n && !previous) return { ok: false, description: `event ${event.sequence - 1n} is missing: an event was deleted` };
  const problem = checkLink(previous, event);
  return problem
    ? { ok: false, description: describeBreak(problem) }
    : { ok: true, description: `hash matches the content and links to event ${event.sequence - 1n || "genesis"}` };
}

async function linkedAgentDecision(db: Db, id: string): Promise<LinkedAgentDecision | null> {
  const decision = await db.agentDecision.findUnique({
    where: { id },
    select: {
      id: true, agent: true, agentVersion: true, provider: true, model: true, inputHash: true, outcome: true, riskScore: true,
      rationale: true, output: true, prompt: true, response: true, inputTokens: true, outputTokens: true, latencyMs: true, createdAt: true,
    },
  });
  return decision ? { ...decision, createdAt: decision.createdAt.toISOString() } : null;
}

/** One event with its whole payload, its own integrity check and, for agent decisions, the stored prompt and response. */
export async function getAuditEvent(db: Db, sequence: string | bigint): Promise<AuditEventDetail | null> {
  const key = typeof sequence === "bigint" ? sequence : BigInt(sequenceString.parse(sequence));
  const stored = await db.auditEvent.findUnique({ where: { sequence: key } });
  if (!stored) return null;
  const event = withPayload(stored);
  const repository = event.repositoryId ? await db.repository.findUnique({ where: { id: event.repositoryId }, select: { name: true } }) : null;
  const [integrity, agentDecision] = await Promise.all([
    checkEventIntegrity(db, event),
    event.subjectType === "agent_decision" ? linkedAgentDecision(db, event.subjectId) : Promise.resolve(null),
  ]);
  return {
    sequence: event.sequence.toString(),
    occurredAt: event.occurredAt.toISOString(),
    actor: { type: event.actorType, id: event.actorId, label: event.actorLabel },
    action: event.action,
    subject: { type: event.subjectType, id: event.subjectId },
    runId: event.runId,
    repository: event.repositoryId ? { id: event.repositoryId, name: repository?.name ?? null } : null,
    hash: event.hash,
    prevHash: event.prevHash,
    payload: event.payload,
    integrity,
    agentDecision,
  };
}
