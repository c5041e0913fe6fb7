import { auditActor } from "@/lib/auth/actor";
import { revokeApiTokenOrThrow } from "@/lib/auth/api-tokens";
import { json, route } from "@/lib/http/route";

export const DELETE = route<{ id: string }>(
  async ({ db, actor, params }) => {
    const record = await revokeApiTokenOrThrow(db, { tokenId: params.id, actor: auditActor(actor) });
    return json({ record });
  },
  { permission: "tokens:manage" },
);
