import { route } from "@/lib/http/route";
import { seriesCsv } from "@/lib/metrics/csv";
import { queryMetrics } from "@/lib/metrics/query-metrics";
import { metricsQuerySchema, resolveFilters, resolveWindow } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";

/** The series the metrics page shows, for the same filters, as CSV. */
export const GET = route(
  async ({ db, query }) => {
    const window = resolveWindow(query);
    const report = await queryMetrics(db, window, resolveFilters(query));
    const name = `flowgate-metrics-${report.window.from.slice(0, 10)}-to-${report.window.to.slice(0, 10)}.csv`;
    return new Response(seriesCsv(report), { headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"` } });
  },
  { permission: "metrics:read", query: metricsQuerySchema },
);
