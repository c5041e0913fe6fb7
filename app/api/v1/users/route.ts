import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { createUser, createUserSchema } from "@/lib/users/create-user";

const userListSelect = { id: true, email: true, name: true, role: true, createdAt: true, disabledAt: true } as const;

export const GET = route(
  async ({ db }) => json({ users: await db.user.findMany({ orderBy: { email: "asc" }, select: userListSelect }) }),
  { permission: "users:manage" },
);

export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, createUserSchema);
    return json({ user: await createUser(db, { input, actor: auditActor(actor) }) }, { status: 201 });
  },
  { permission: "users:manage" },
);
