import { MetricsDashboard } from "@/components/metrics/metrics-dashboard";
import { filtersFromParams, metricsParams } from "@/components/metrics/params";
import { EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { loadFilterOptions, loadMetrics } from "@/lib/metrics/load-metrics";
import { metricsQueryFromParams } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";
const page = appPage("/metrics");

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** Rendered with the URL's filters on the server, so the numbers show before the charts load. */
export default async function MetricsPage({ searchParams }: { searchParams: SearchParams }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const raw = await searchParams;
  const filters = filtersFromParams((key) => (typeof raw[key] === "string" ? (raw[key] as string) : undefined));
  let query;
  try {
    query = metricsQueryFromParams(metricsParams(filters));
  } catch {
    return (
      <>
        <PageHeader title="Metrics" />
        <EmptyState title="These filters are not valid">
          The address has a period, bucket or simulated setting Flowgate does not know. <a href="/metrics" className="text-indigo-700 underline">Open the metrics with the defaults</a>.
        </EmptyState>
      </>
    );
  }
  const [report, options] = await Promise.all([loadMetrics(db(), query), loadFilterOptions(db())]);
  return (
    <>
      <PageHeader
        title="Metrics"
        description="PR-to-production lead time, human review rate, rollback rate, where the hours go, and the DORA four keys. Every number links to the runs behind it."
      />
      <MetricsDashboard initial={{ filters, report, options }} />
    </>
  );
}
