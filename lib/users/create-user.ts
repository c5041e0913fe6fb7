import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import { hashPassword, MIN_PASSWORD_LENGTH } from "../auth/passwords";
import { roles } from "../auth/roles";
import type { Db } from "../db/client";
import { DomainError } from "../errors";

export const createUserSchema = z.object({
  email: z.email().transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1).max(100).optional(),
  role: z.enum(roles),
  password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`),
});
export type CreateUserInput = z.infer<typeof createUserSchema>;

export async function createUser(db: Db, options: { input: CreateUserInput; actor: AuditActor }) {
  const { input } = options;
  const passwordHash = await hashPassword(input.password);
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: input.email } })) {
      throw new DomainError("conflict", `A user with email ${input.email} already exists`);
    }
    const user = await tx.user.create({
      data: { email: input.email, name: input.name ?? input.email.split("@")[0], role: input.role, passwordHash },
      select: { id: true, email: true, name: true, role: true, createdAt: true },
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "user.created",
      subject: { type: "user", id: user.id },
      payload: { email: user.email, role: user.role },
    });
    return user;
  });
}
