import { decideEscalation, escalationDecisionSchema } from "@/lib/escalations/decide-escalation";
import { json, parseBody, route } from "@/lib/http/route";

/** Approve, reject or request changes, with a rationale. 409 if someone else decided first. */
export const POST = route<{ id: string }>(
  async ({ req, db, actor, params }) => {
    const input = await parseBody(req, escalationDecisionSchema);
    return json(await decideEscalation(db, { escalationId: params.id, input, actor }));
  },
  { permission: "escalations:decide" },
);
