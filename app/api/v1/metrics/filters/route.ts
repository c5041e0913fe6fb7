import { json, route } from "@/lib/http/route";
import { loadFilterOptions } from "@/lib/metrics/load-metrics";

export const dynamic = "force-dynamic";

/** The repositories and teams the metrics can be filtered by, and the number of simulated runs. */
export const GET = route(async ({ db }) => json(await loadFilterOptions(db)), { permission: "metrics:read" });
