import { auditActor } from "@/lib/auth/actor";
import { json, route } from "@/lib/http/route";
import { redeliverCodeHostDelivery } from "@/lib/code-host/settings-view";

/** Sends a failed code-host delivery (its payload still kept) through its job again. */
export const POST = route<{ id: string }>(
  async ({ db, actor, params, log }) => {
    const delivery = await redeliverCodeHostDelivery(db, { id: params.id, actor: auditActor(actor) });
    log.info({ delivery: delivery.deliveryId, host: delivery.host }, "code-host delivery redelivered");
    return json({ delivery });
  },
  { permission: "settings:manage" },
);
