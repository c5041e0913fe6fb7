import { json, route } from "@/lib/http/route";
import { drillDown, drillDownSchema } from "@/lib/metrics/drill-down";
import { metricsQueryFromParams, resolveFilters, resolveWindow } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";

/** The runs behind a number: ?set=… (and optionally &bucket=, &stage=, &reason=) with the metrics filters. */
export const GET = route(
  async ({ req, db }) => {
    const params = new URL(req.url).searchParams;
    const query = metricsQueryFromParams(params);
    const selection = drillDownSchema.parse({ set: params.get("set") ?? undefined, bucket: params.get("bucket") ?? undefined, stage: params.get("stage") ?? undefined, reason: params.get("reason") ?? undefined, limit: params.get("limit") ?? undefined });
    return json(await drillDown(db, resolveWindow(query), resolveFilters(query), selection));
  },
  { permission: "metrics:read" },
);
