import { assignEscalation, assignSchema } from "@/lib/escalations/assign-escalation";
import { json, parseBody, route } from "@/lib/http/route";

export const POST = route<{ id: string }>(
  async ({ req, db, actor, params }) => {
    const { assignee } = await parseBody(req, assignSchema);
    return json({ escalation: await assignEscalation(db, { escalationId: params.id, assignee, actor }) });
  },
  { permission: "escalations:decide" },
);
