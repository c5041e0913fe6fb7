import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { listRepositories } from "@/lib/repositories/list-repositories";
import { registerRepository, registerRepositorySchema } from "@/lib/repositories/register-repository";

export const GET = route(
  async ({ db }) => json({ repositories: await listRepositories(db) }),
  { permission: "runs:read" },
);

export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, registerRepositorySchema);
    return json({ repository: await registerRepository(db, { input, actor: auditActor(actor) }) }, { status: 201 });
  },
  { permission: "settings:manage" },
);
