import { EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/deployments");

export default async function DeploymentsPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const deployments = await db().deployment.count();
  return (
    <>
      <PageHeader title="Deployments" description="Staging deploys and production canaries, with their metrics." />
      {deployments === 0 ? (
        <EmptyState title="No deployments yet">
          A deployment starts when a pull request passes review and test. Configure a deploy target for a repository in
          Settings; canaries, their metrics and any rollbacks will show here.
        </EmptyState>
      ) : (
        <p className="text-sm text-slate-600">{deployments} deployments recorded.</p>
      )}
    </>
  );
}
