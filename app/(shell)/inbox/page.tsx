import { Inbox } from "@/components/inbox/inbox";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { inboxFilterSchema, listInbox } from "@/lib/escalations/inbox";

export const dynamic = "force-dynamic";
const page = appPage("/inbox");

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * The first page is rendered on the server with the URL's filters, so a reviewer sees the queue
 * without waiting for the client to fetch it; the client then keeps it live.
 */
async function initialInbox(searchParams: SearchParams, userId: string) {
  const raw = await searchParams;
  const one = (key: string) => (typeof raw[key] === "string" && raw[key] !== "" ? (raw[key] as string) : undefined);
  const assignee = one("assignee");
  const wanted = {
    reason: one("reason"),
    repository: one("repository"),
    assignee: assignee === "me" || assignee === "unassigned" ? assignee : undefined,
    overdue: one("overdue") === "true" ? "true" : undefined,
  };
  const parsed = inboxFilterSchema.safeParse(wanted);
  if (!parsed.success) return null;
  // Same order as the client's filterParams, so the client recognises its own query.
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(wanted)) if (value) params.set(key, value);
  return { params: params.toString(), data: await listInbox(db(), { filter: parsed.data, userId }) };
}

export default async function InboxPage({ searchParams }: { searchParams: SearchParams }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const initial = await initialInbox(searchParams, user.id);
  return (
    <>
      <PageHeader title="Inbox" description="Escalations waiting for a human decision, oldest due first. Updates live." />
      <Inbox initial={initial} />
    </>
  );
}
