import { actorCan } from "@/lib/auth/actor";
import { permissions } from "@/lib/auth/roles";
import { json, route } from "@/lib/http/route";

export const GET = route(
  async ({ actor }) =>
    json({
      user: actor.user,
      via: actor.via,
      permissions: permissions.filter((p) => actorCan(actor, p)),
    }),
  { permission: "authenticated" },
);
