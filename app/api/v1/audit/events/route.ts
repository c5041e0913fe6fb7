import { z } from "zod";
import { auditEventLookupSchema, getAuditEvent, searchAuditEvents } from "@/lib/audit/search/search-events";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** `sequence` picks one event; every other parameter is a search filter, which searchAuditEvents validates. */
const eventsQuerySchema = auditEventLookupSchema.partial().catchall(z.string());

/**
 * `?sequence=N`: one event with its full payload. Otherwise a page of events, newest first,
 * filtered by the query parameters (from, to, repository, prNumber, runId, actorType, actor,
 * action, decision) and paged with `before` (the previous page's nextCursor) and `limit`.
 * An empty parameter is an unset filter (what a cleared form field sends).
 */
export const GET = route(
  async ({ db, query: { sequence, ...filter } }) => {
    if (sequence !== undefined) {
      const event = await getAuditEvent(db, sequence);
      if (!event) throw new ApiError("not_found", `No audit event ${sequence}`);
      return json({ event });
    }
    return json(await searchAuditEvents(db, filter));
  },
  { permission: "audit:read", query: eventsQuerySchema },
);
