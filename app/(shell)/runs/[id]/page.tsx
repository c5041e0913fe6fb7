import { RunDetail } from "@/components/runs/run-detail";
import { NotAllowed } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";

export const dynamic = "force-dynamic";

export default async function RunPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed } = await requirePageAccess({ href: `/runs/${id}`, label: "Runs", permission: "runs:read" });
  if (!allowed) return <NotAllowed page="Runs" role={user.role} />;
  return <RunDetail runId={id} />;
}
