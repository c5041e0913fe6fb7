import { DeploymentDetailView } from "@/components/deployments/deployment-detail";
import { NotAllowed } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/deployments");

export default async function DeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed } = await requirePageAccess({ ...page, href: `/deployments/${id}` });
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  return <DeploymentDetailView id={id} />;
}
