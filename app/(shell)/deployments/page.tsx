import { DeploymentList } from "@/components/deployments/deployment-list";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/deployments");

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function DeploymentsPage({ searchParams }: { searchParams: SearchParams }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const raw = await searchParams;
  const one = (key: string) => (typeof raw[key] === "string" ? (raw[key] as string) : "");
  return (
    <>
      <PageHeader title="Deployments" description="Staging deploys and production canaries: status, metrics against the baseline, and why each was promoted or rolled back." />
      <DeploymentList initialFilters={{ environment: one("environment"), status: one("status"), repository: one("repository") }} />
    </>
  );
}
