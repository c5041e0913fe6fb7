import { auditActor } from "@/lib/auth/actor";
import { json, route } from "@/lib/http/route";
import { deleteChannel } from "@/lib/notifications/channels";

export const DELETE = route<{ id: string }>(
  async ({ db, actor, params }) => json({ channel: await deleteChannel(db, { id: params.id, actor: auditActor(actor) }) }),
  { permission: "settings:manage" },
);
