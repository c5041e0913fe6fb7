import { accessEvents, accessQuerySchema, roleHoldersAt, toCsv } from "@/lib/access/access-report";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

const DAY = 24 * 3600 * 1000;

/**
 * Access evidence for auditors: `?at=` who held which role then (default now); `?from=&to=` the
 * access events of the period (default the last 7 days). `format=csv&what=holders|events` for the
 * evidence folder.
 */
export const GET = route(
  async ({ db, query }) => {
    const at = query.at ? new Date(query.at) : new Date();
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - 7 * DAY);
    if (from > to) throw new ApiError("validation_failed", "from must not be after to", [{ path: "from", message: "must not be after to" }]);
    const [holders, events] = await Promise.all([roleHoldersAt(db, at), accessEvents(db, { from, to, limit: query.format === "csv" ? 100_000 : 500 })]);
    if (query.format === "csv") {
      const body =
        query.what === "holders"
          ? toCsv(holders, ["email", "role", "disabled", "canApprove", "since", "userId"])
          : toCsv(events, ["occurredAt", "action", "actor", "email", "address", "detail", "sequence"]);
      const name = query.what === "holders" ? `flowgate-role-holders-${at.toISOString().slice(0, 19)}.csv` : `flowgate-access-events-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`;
      return new Response(body, { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name.replaceAll(":", "-")}"` } });
    }
    return json({ at: at.toISOString(), from: from.toISOString(), to: to.toISOString(), holders, events });
  },
  { permission: "audit:read", query: accessQuerySchema },
);
