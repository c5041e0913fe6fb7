import { auditActor } from "@/lib/auth/actor";
import { createApiToken, createTokenSchema, tokenListSelect } from "@/lib/auth/api-tokens";
import { json, parseBody, route } from "@/lib/http/route";

export const GET = route(
  async ({ db }) => {
    const tokens = await db.apiToken.findMany({ orderBy: { createdAt: "desc" }, select: tokenListSelect });
    return json({ tokens });
  },
  { permission: "tokens:manage" },
);

// A token created here acts for the admin who creates it; `ctl token create --user` makes one for others.
export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, createTokenSchema);
    const { token, record } = await createApiToken(db, { userId: actor.user.id, input, actor: auditActor(actor) });
    return json({ token, record }, { status: 201 });
  },
  { permission: "tokens:manage" },
);
