import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { createChannel, createChannelSchema, listChannels } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";

/** The configured channels; a webhook's secret is write-only and shows as `hasSecret`. */
export const GET = route(async ({ db }) => json({ channels: await listChannels(db) }), { permission: "settings:manage" });

export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, createChannelSchema);
    return json({ channel: await createChannel(db, { input, actor: auditActor(actor) }) }, { status: 201 });
  },
  { permission: "settings:manage" },
);
