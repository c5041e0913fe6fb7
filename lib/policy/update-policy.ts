import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import { canonicalJson } from "../audit/chain/chain";
import type { Db, Prisma } from "../db/client";
import { DomainError } from "../errors";
import type { Json } from "../json";
import { policyRulesSchema, type PolicyRules } from "./policy-rules";

export async function loadActivePolicyOrThrow(db: Db) {
  const policy = await db.policy.findFirst({ where: { active: true }, orderBy: { version: "desc" } });
  if (!policy) throw new DomainError("unavailable", "No active policy; restart Flowgate to create the default one");
  return { id: policy.id, version: policy.version, rules: policyRulesSchema.parse(policy.rules), createdAt: policy.createdAt };
}

/**
 * A policy change is a new version, never an edit: runs keep the version they ran under. The
 * audit event carries the rules before and after.
 */
export async function updatePolicy(db: Db, options: { rules: PolicyRules; actor: AuditActor; actorUserId?: string }) {
  const rules = policyRulesSchema.parse(options.rules);
  return db.$transaction(async (tx) => {
    // Serialize concurrent edits: both would otherwise read the same version number.
    const [current] = await tx.$queryRaw<{ id: string; version: number; rules: unknown }[]>`
      SELECT id, version, rules FROM "Policy" WHERE active ORDER BY version DESC LIMIT 1 FOR UPDATE`;
    if (!current) throw new DomainError("unavailable", "No active policy; restart Flowgate to create the default one");
    const before = policyRulesSchema.parse(current.rules);
    if (canonicalJson(before) === canonicalJson(rules)) return { version: current.version, changed: false };
    await tx.policy.update({ where: { id: current.id }, data: { active: false } });
    const created = await tx.policy.create({
      data: { version: current.version + 1, rules: rules as unknown as Prisma.InputJsonValue, active: true, createdById: options.actorUserId ?? null },
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "policy.updated",
      subject: { type: "policy", id: created.id },
      payload: { fromVersion: current.version, toVersion: created.version, before, after: rules },
    });
    return { version: created.version, changed: true };
  });
}

/** GET /api/v1/policy as the browser receives it (PUT answers the same plus `changed`). */
export type PolicyResponse = { policy: Json<Awaited<ReturnType<typeof loadActivePolicyOrThrow>>> };
