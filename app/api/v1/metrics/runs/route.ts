import { z } from "zod";
import { json, route } from "@/lib/http/route";
import { drillDown, drillDownSchema } from "@/lib/metrics/drill-down";
import { metricsQuerySchema, resolveFilters, resolveWindow } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";

/** The metrics filters and the selection share one query string; each schema reads its own fields. */
const drillDownQuerySchema = z.intersection(metricsQuerySchema, drillDownSchema);

/** The runs behind a number: ?set=… (and optionally &bucket=, &stage=, &reason=) with the metrics filters. */
export const GET = route(async ({ db, query }) => json(await drillDown(db, resolveWindow(query), resolveFilters(query), query)), {
  permission: "metrics:read",
  query: drillDownQuerySchema,
});
