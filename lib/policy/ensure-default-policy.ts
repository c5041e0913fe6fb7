import { appendAuditEvent } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import { defaultPolicyRules } from "./policy-rules";

const SYSTEM = { type: "system", id: "bootstrap", label: "Flowgate start-up" } as const;

/** Every installation needs an active policy before the first run; version 1 is the defaults. */
export async function ensureDefaultPolicy(db: Db) {
  await db.$transaction(async (tx) => {
    if (await tx.policy.findFirst()) return;
    const policy = await tx.policy.create({ data: { version: 1, rules: defaultPolicyRules, active: true } });
    await appendAuditEvent(tx, {
      actor: SYSTEM,
      action: "policy.created",
      subject: { type: "policy", id: policy.id },
      payload: { version: 1, rules: defaultPolicyRules },
    });
  });
}
