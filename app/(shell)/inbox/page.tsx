import { Inbox } from "@/components/inbox/inbox";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/inbox");

export default async function InboxPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  return (
    <>
      <PageHeader title="Inbox" description="Escalations waiting for a human decision, oldest due first. Updates live." />
      <Inbox />
    </>
  );
}
