import { EscalationView } from "@/components/escalations/escalation-view";
import { NotAllowed } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";

export const dynamic = "force-dynamic";

export default async function EscalationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { user, allowed } = await requirePageAccess({ href: `/escalations/${id}`, label: "Inbox", permission: "escalations:read" });
  if (!allowed) return <NotAllowed page="Inbox" role={user.role} />;
  return <EscalationView escalationId={id} />;
}
