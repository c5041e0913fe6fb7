import { json, route } from "@/lib/http/route";
import { listRecentNotifications } from "@/lib/notifications/channels";

export const dynamic = "force-dynamic";

/** The 50 most recent deliveries and their outcome, failures included. */
export const GET = route(async ({ db }) => json({ notifications: await listRecentNotifications(db, 50) }), { permission: "settings:manage" });
