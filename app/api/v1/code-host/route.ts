import { json, route } from "@/lib/http/route";
import { loadCodeHostSettings } from "@/lib/code-host/settings-view";

/** The code-host part of Settings: the GitHub App's configuration (presence only), repositories, deliveries, publications. */
export const GET = route(async ({ db }) => json(await loadCodeHostSettings(db)), { permission: "settings:manage" });
