import { appendAuditEvent } from "../audit/chain/append-audit-event";
import { hashPassword } from "../auth/passwords";
import type { Role } from "../auth/roles";
import type { Db } from "../db/client";

const SYSTEM = { type: "system", id: "bootstrap", label: "Flowgate start-up" } as const;

/** Printed at start-up and in the README. Demo accounts exist only on the embedded database. */
export const DEMO_PASSWORD = "flowgate-demo";

export const demoUsers: { email: string; name: string; role: Role }[] = [
  { email: "admin@flowgate.local", name: "Ada Admin", role: "admin" },
  { email: "reviewer@flowgate.local", name: "Rita Reviewer", role: "reviewer" },
  { email: "reviewer2@flowgate.local", name: "Remy Reviewer", role: "reviewer" },
  { email: "manager@flowgate.local", name: "Mona Manager", role: "manager" },
  { email: "auditor@flowgate.local", name: "Otto Auditor", role: "auditor" },
];

/** Idempotent: existing users are left as they are, so a second start keeps any changes. */
export async function seedDemoUsers(db: Db): Promise<number> {
  let created = 0;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const demo of demoUsers) {
    await db.$transaction(async (tx) => {
      if (await tx.user.findUnique({ where: { email: demo.email } })) return;
      const user = await tx.user.create({ data: { ...demo, passwordHash } });
      await appendAuditEvent(tx, {
        actor: SYSTEM,
        action: "user.created",
        subject: { type: "user", id: user.id },
        payload: { email: user.email, role: user.role, demo: true },
      });
      created += 1;
    });
  }
  return created;
}
