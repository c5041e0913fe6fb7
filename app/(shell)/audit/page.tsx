import { Code, EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { verifyAuditChain } from "@/lib/audit/verify-audit-chain";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/audit");

export default async function AuditPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const chain = await verifyAuditChain(db());
  const recent = await db().auditEvent.findMany({ orderBy: { sequence: "desc" }, take: 50 });
  return (
    <>
      <PageHeader title="Audit" description="Every decision by an agent or a person, in a hash-chained, append-only log." />
      <div
        data-testid="chain-status"
        className={`mb-4 rounded-md border px-4 py-3 text-sm ${chain.ok ? "border-emerald-200 bg-emerald-50 text-emerald-900" : "border-red-200 bg-red-50 text-red-900"}`}
      >
        {chain.ok
          ? chain.verifiedThrough
            ? `Chain verified through event ${chain.verifiedThrough} (${chain.verifiedAt}).`
            : "The audit log is empty."
          : `Chain broken at event ${chain.broken?.sequence}: ${chain.broken?.description}.`}
      </div>
      {recent.length === 0 ? (
        <EmptyState title="No audit events yet">
          Events are recorded for every agent decision, human decision and administrative change. The chain status is
          also available as JSON from <Code>GET /api/v1/audit/verify</Code>.
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">#</th>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Actor</th>
                <th className="px-3 py-2">Action</th>
                <th className="px-3 py-2">Subject</th>
              </tr>
            </thead>
            <tbody>
              {recent.map((event) => (
                <tr key={event.sequence.toString()} className="border-t border-slate-100">
                  <td className="px-3 py-2 font-mono text-xs">{event.sequence.toString()}</td>
                  <td className="px-3 py-2 text-slate-600">{event.occurredAt.toISOString()}</td>
                  <td className="px-3 py-2">{event.actorLabel}</td>
                  <td className="px-3 py-2 font-mono text-xs">{event.action}</td>
                  <td className="px-3 py-2 text-slate-600">
                    {event.subjectType} {event.subjectId}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
