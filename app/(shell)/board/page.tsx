import { Board } from "@/components/board/board";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";

export const dynamic = "force-dynamic";
const page = appPage("/board");

export default async function BoardPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  return (
    <>
      <PageHeader title="Board" description="Every active pull request, by pipeline stage. Updates live." />
      <Board />
    </>
  );
}
