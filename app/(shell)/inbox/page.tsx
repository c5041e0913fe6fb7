import { EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/inbox");

export default async function InboxPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const open = await db().escalation.count({ where: { status: "open" } });
  return (
    <>
      <PageHeader title="Inbox" description="Escalations waiting for a human decision, oldest due first." />
      {open === 0 ? (
        <EmptyState title="Nothing waiting for you">
          When an agent escalates a pull request (high risk, an API break, a schema change, a coverage gap, an agent
          error), it lands here with its context package. Nothing is escalated right now.
        </EmptyState>
      ) : (
        <p className="text-sm text-slate-600">{open} open escalations.</p>
      )}
    </>
  );
}
