import { AuditExplorer } from "@/components/audit/audit-explorer";
import { ChainStatusBanner } from "@/components/audit/chain-status-banner";
import { filtersFrom } from "@/components/audit/filter-params";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/audit");

type SearchParams = Record<string, string | string[] | undefined>;

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const params = await searchParams;
  const open = typeof params.open === "string" ? params.open : null;
  return (
    <>
      <PageHeader
        title="Audit"
        description="Every decision by an agent or a person, in a hash-chained, append-only log. Open an event for its full payload, or a run for its change record."
      />
      <p className="mb-4 text-sm">
        <a href="/audit/access" className="text-indigo-700 hover:underline">
          Access: who held which role when, sign-ins and failures →
        </a>
      </p>
      <ChainStatusBanner />
      <AuditExplorer initialFilters={filtersFrom(params)} open={open} />
    </>
  );
}
