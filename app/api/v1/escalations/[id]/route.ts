import { loadEscalationOrThrow } from "@/lib/escalations/load-escalation";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export const GET = route<{ id: string }>(async ({ db, params }) => json({ escalation: await loadEscalationOrThrow(db, params.id) }), {
  permission: "escalations:read",
});
