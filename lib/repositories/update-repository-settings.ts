import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/append-audit-event";
import type { Db, Prisma } from "../db/client";
import { ApiError } from "../http/errors";
import { testSettingsSchema } from "./test-settings";

export const updateTestSettingsSchema = z.object({ test: testSettingsSchema.nullable() });

/** Sets (or clears, with null) how the test agent tests a repository; audited with old and new. */
export async function updateTestSettings(db: Db, options: { repositoryId: string; input: z.input<typeof updateTestSettingsSchema>; actor: AuditActor }) {
  const { test } = updateTestSettingsSchema.parse(options.input);
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ settings: Record<string, unknown> }[]>`SELECT settings FROM "Repository" WHERE id = ${options.repositoryId} FOR UPDATE`;
    if (!locked) throw new ApiError("not_found", `No repository ${options.repositoryId}`);
    const { test: previous, ...rest } = locked.settings ?? {};
    const settings = (test ? { ...rest, test } : rest) as Prisma.InputJsonValue;
    const repository = await tx.repository.update({ where: { id: options.repositoryId }, data: { settings } });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "repository.test_settings_changed",
      subject: { type: "repository", id: repository.id },
      repositoryId: repository.id,
      payload: { name: repository.name, before: previous ?? null, after: test },
    });
    return repository;
  });
}
