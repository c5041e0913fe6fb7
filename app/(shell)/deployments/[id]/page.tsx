import { preload } from "react-dom";
import { DeploymentDetailView } from "@/components/deployments/deployment-detail";
import { deploymentPageUrl } from "@/components/deployments/page-url";
import { NotAllowed } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/deployments");

export default async function DeploymentPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // The browser starts downloading the deployment (all its samples) while the page's scripts
  // load, instead of after they have run: the charts' data is the long pole. Hinted before the
  // access check so that it reaches the page's head; the API checks the permission itself.
  preload(deploymentPageUrl(id), { as: "fetch", crossOrigin: "anonymous", fetchPriority: "high" });
  const { user, allowed } = await requirePageAccess({ ...page, href: `/deployments/${id}` });
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  return <DeploymentDetailView id={id} />;
}
