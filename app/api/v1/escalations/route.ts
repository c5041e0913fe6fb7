import { listInbox, inboxFilterSchema } from "@/lib/escalations/inbox";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route(
  async ({ db, actor, query }) => json(await listInbox(db, { filter: query, userId: actor.user.id })),
  { permission: "escalations:read", query: inboxFilterSchema },
);
