import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { policyRulesSchema } from "@/lib/policy/policy-rules";
import { loadActivePolicyOrThrow, updatePolicy } from "@/lib/policy/update-policy";

export const dynamic = "force-dynamic";

export const GET = route(async ({ db }) => json({ policy: await loadActivePolicyOrThrow(db) }), { permission: "runs:read" });

/** Saves the thresholds as a new policy version; the body is the whole rules object. */
export const PUT = route(
  async ({ req, db, actor }) => {
    const rules = await parseBody(req, policyRulesSchema);
    const result = await updatePolicy(db, { rules, actor: auditActor(actor), actorUserId: actor.user.id });
    return json({ ...result, policy: await loadActivePolicyOrThrow(db) });
  },
  { permission: "settings:manage" },
);
