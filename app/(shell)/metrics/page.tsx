import { EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/metrics");

export default async function MetricsPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const finishedRuns = await db().pipelineRun.count({ where: { finishedAt: { not: null } } });
  return (
    <>
      <PageHeader title="Metrics" description="Lead time, human review rate, rollback rate and the DORA four keys." />
      {finishedRuns === 0 ? (
        <EmptyState title="No finished runs to measure yet">
          Metrics are computed from finished pipeline runs. Once pull requests reach production (or are rejected or
          rolled back), lead time and rates appear here.
        </EmptyState>
      ) : (
        <p className="text-sm text-slate-600">{finishedRuns} finished runs.</p>
      )}
    </>
  );
}
