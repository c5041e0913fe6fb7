import { json, route } from "@/lib/http/route";
import { loadRunDetailOrThrow } from "@/lib/runs/run-detail";

export const dynamic = "force-dynamic";

export const GET = route<{ id: string }>(async ({ db, params }) => json(await loadRunDetailOrThrow(db, params.id)), { permission: "runs:read" });
