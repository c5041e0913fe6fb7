import { auditEventLookupSchema, getAuditEvent, searchAuditEvents } from "@/lib/audit/search/search-events";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * `?sequence=N`: one event with its full payload. Otherwise a page of events, newest first,
 * filtered by the query parameters (from, to, repository, prNumber, runId, actorType, actor,
 * action, decision) and paged with `before` (the previous page's nextCursor) and `limit`.
 */
export const GET = route(
  async ({ req, db }) => {
    const params = new URL(req.url).searchParams;
    const sequence = params.get("sequence");
    if (sequence !== null) {
      const lookup = auditEventLookupSchema.parse({ sequence });
      const event = await getAuditEvent(db, lookup.sequence);
      if (!event) throw new ApiError("not_found", `No audit event ${sequence}`);
      return json({ event });
    }
    // An empty parameter is an unset filter (what a cleared form field sends).
    const filter = Object.fromEntries([...params].filter(([, value]) => value !== ""));
    return json(await searchAuditEvents(db, filter));
  },
  { permission: "audit:read" },
);
