import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { updateUser, updateUserSchema } from "@/lib/users/update-user";

/** Change a user's role, disable or enable them, or end all their sessions (each audited). */
export const PATCH = route<{ id: string }>(
  async ({ req, db, params, actor }) => {
    const input = await parseBody(req, updateUserSchema);
    return json({ user: await updateUser(db, { userId: params.id, input, actor: auditActor(actor) }) });
  },
  { permission: "users:manage" },
);
