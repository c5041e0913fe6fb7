import type { Json } from "../json";
import { actorCan, type Actor } from "./actor";
import { permissions } from "./roles";

/** Who is calling and what they may do: the body of GET /api/v1/me. */
export function describeActor(actor: Actor) {
  return {
    user: actor.user,
    via: actor.via,
    permissions: permissions.filter((p) => actorCan(actor, p)),
  };
}

/** GET /api/v1/me as the browser receives it. */
export type Me = Json<ReturnType<typeof describeActor>>;
