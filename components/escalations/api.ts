import type { assignEscalation as assignOnServer } from "@/lib/escalations/assign-escalation";
import type { Json } from "@/lib/json";
import { postJson } from "@/components/ui/api";

/** "Assign to me", or release it (assignee null). */
export function assignEscalation(id: string, assignee: "me" | null) {
  return postJson<{ escalation: Json<Awaited<ReturnType<typeof assignOnServer>>> }>(`/api/v1/escalations/${id}/assign`, { assignee });
}
