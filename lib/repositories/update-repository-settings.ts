import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import { mergeSettingsSchema } from "../code-host/merge-settings";
import type { Db, Prisma } from "../db/client";
import { DomainError } from "../errors";
import { deploySettingsSchema } from "./deploy-settings";
import { testSettingsSchema } from "./test-settings";

/** Each section given replaces the stored one; null removes it (back to the defaults). */
export const updateRepositorySettingsSchema = z
  .object({ test: testSettingsSchema.nullable().optional(), deploy: deploySettingsSchema.nullable().optional(), merge: mergeSettingsSchema.nullable().optional() })
  .refine((body) => body.test !== undefined || body.deploy !== undefined || body.merge !== undefined, { message: "send test, deploy and/or merge settings", path: ["test"] });

/** How the agents test and deploy a repository, and how its pull requests merge; audited with the sections before and after. */
export async function updateRepositorySettings(db: Db, options: { repositoryId: string; input: z.input<typeof updateRepositorySettingsSchema>; actor: AuditActor }) {
  const input = updateRepositorySettingsSchema.parse(options.input);
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ settings: Record<string, unknown> }[]>`SELECT settings FROM "Repository" WHERE id = ${options.repositoryId} FOR UPDATE`;
    if (!locked) throw new DomainError("not_found", `No repository ${options.repositoryId}`);
    const settings: Record<string, unknown> = { ...(locked.settings ?? {}) };
    const before: Record<string, unknown> = {};
    const after: Record<string, unknown> = {};
    for (const section of ["test", "deploy", "merge"] as const) {
      if (input[section] === undefined) continue;
      before[section] = settings[section] ?? null;
      after[section] = input[section];
      if (input[section] === null) delete settings[section];
      else settings[section] = input[section];
    }
    const repository = await tx.repository.update({ where: { id: options.repositoryId }, data: { settings: settings as Prisma.InputJsonValue } });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "repository.settings_changed",
      subject: { type: "repository", id: repository.id },
      repositoryId: repository.id,
      payload: { name: repository.name, before, after },
    });
    return repository;
  });
}
