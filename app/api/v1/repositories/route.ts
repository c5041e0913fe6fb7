import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { registerRepository, registerRepositorySchema } from "@/lib/repositories/register-repository";
import { deploySettingsOf } from "@/lib/repositories/deploy-settings";
import { testSettingsOf } from "@/lib/repositories/test-settings";

export const GET = route(
  async ({ db }) => {
    const repositories = await db.repository.findMany({
      orderBy: { name: "asc" },
      select: { id: true, name: true, kind: true, location: true, defaultBranch: true, createdAt: true, settings: true },
    });
    return json({ repositories: repositories.map(({ settings, ...repository }) => ({ ...repository, test: testSettingsOf(settings), deploy: deploySettingsOf(settings) })) });
  },
  { permission: "runs:read" },
);

export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, registerRepositorySchema);
    return json({ repository: await registerRepository(db, { input, actor: auditActor(actor) }) }, { status: 201 });
  },
  { permission: "settings:manage" },
);
