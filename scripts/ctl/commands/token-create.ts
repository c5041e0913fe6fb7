import { StartupError } from "../../../lib/startup-error";
import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const tokenCreate: DatabaseCommand = {
  name: "token create",
  usage: [
    "token create --user <email> --name <name> --scopes <scope,scope> [--expires-days <n>]",
    "    Prints only the token. Scopes: runs:read, runs:write, escalations:read,",
    "    escalations:decide, audit:read, metrics:read",
  ],
  options: { user: { type: "string" }, name: { type: "string" }, scopes: { type: "string" }, "expires-days": { type: "string" } },
  async run({ db, values }) {
    const { createApiToken, createTokenSchema } = await import("../../../lib/auth/api-tokens");
    const email = required(values.user as string | undefined, "user").toLowerCase();
    const user = await db.user.findUnique({ where: { email } });
    if (!user) throw new StartupError(`no user with email ${email}; create one with \`npm run ctl -- user create\``);
    const input = createTokenSchema.parse({
      name: values.name,
      scopes: String(values.scopes ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      expiresInDays: values["expires-days"] ? Number(values["expires-days"]) : undefined,
    });
    const { token, record } = await createApiToken(db, { userId: user.id, input, actor: CLI_ACTOR });
    note(`created token ${record.id} (${record.scopes.join(", ")}) for ${email}; it is shown once`);
    process.stdout.write(`${token}\n`);
  },
};
