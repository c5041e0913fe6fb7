import { listInbox, inboxFilterSchema } from "@/lib/escalations/inbox";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route(
  async ({ req, db, actor }) => {
    const params = Object.fromEntries(new URL(req.url).searchParams);
    const filter = inboxFilterSchema.parse(params);
    return json(await listInbox(db, { filter, userId: actor.user.id }));
  },
  { permission: "escalations:read" },
);
