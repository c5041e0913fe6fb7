import path from "node:path";
import { z } from "zod";
import { appendAuditEvent, type AuditActor } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import { isGitRepository } from "../git/git";
import { DomainError } from "../errors";
import { deploySettingsSchema } from "./deploy-settings";
import { testSettingsSchema } from "./test-settings";

export const registerRepositorySchema = z.object({
  name: z.string().trim().regex(/^[A-Za-z0-9._/-]{1,100}$/, "use letters, digits and . _ / - (at most 100)"),
  path: z.string().trim().min(1, "path is required"),
  defaultBranch: z.string().trim().min(1).default("main"),
  /** How the test agent tests it; without this the test stage escalates asking for it. */
  test: testSettingsSchema.optional(),
  /** How the agents deploy it; without this the simulated target and metrics are used. */
  deploy: deploySettingsSchema.optional(),
});
export type RegisterRepositoryInput = z.input<typeof registerRepositorySchema>;

/** Registers a local git repository (checked with real git) so runs can be submitted against it. */
export async function registerRepository(db: Db, options: { input: RegisterRepositoryInput; actor: AuditActor }) {
  const input = registerRepositorySchema.parse(options.input);
  const location = path.resolve(input.path);
  if (!(await isGitRepository(location))) {
    throw new DomainError("invalid", "Not a git repository", [{ path: "path", message: `${location} is not a git repository` }]);
  }
  return db.$transaction(async (tx) => {
    if (await tx.repository.findUnique({ where: { name: input.name } })) throw new DomainError("conflict", `A repository named ${input.name} already exists`);
    const repository = await tx.repository.create({
      data: { name: input.name, kind: "local", location, defaultBranch: input.defaultBranch, settings: { ...(input.test ? { test: input.test } : {}), ...(input.deploy ? { deploy: input.deploy } : {}) } },
    });
    await appendAuditEvent(tx, {
      actor: options.actor,
      action: "repository.registered",
      subject: { type: "repository", id: repository.id },
      repositoryId: repository.id,
      payload: { name: repository.name, location, defaultBranch: repository.defaultBranch, test: input.test ?? null, deploy: input.deploy ?? null },
    });
    return repository;
  });
}
