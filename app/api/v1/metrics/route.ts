import { json, route } from "@/lib/http/route";
import { loadMetrics } from "@/lib/metrics/load-metrics";
import { metricsQuerySchema } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";

/**
 * Lead time, human review rate, rollback rate, where the hours go and the DORA four keys.
 * ?period=7d|30d|90d|210d or ?from=YYYY-MM-DD&to=YYYY-MM-DD, &bucket=day|week, &repository=,
 * &team=, &simulated=include|exclude|only.
 */
export const GET = route(
  async ({ db, query }) => json(await loadMetrics(db, query)),
  { permission: "metrics:read", query: metricsQuerySchema },
);
