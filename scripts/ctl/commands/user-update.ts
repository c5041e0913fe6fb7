import { StartupError } from "../../../lib/startup-error";
import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const userUpdate: DatabaseCommand = {
  name: "user update",
  usage: [
    "user update --email <email> [--role <role>] [--disable | --enable] [--sign-out]",
    "    Changes a role, disables or enables the account, or ends every session it has (audited).",
  ],
  options: { email: { type: "string" }, role: { type: "string" }, disable: { type: "boolean" }, enable: { type: "boolean" }, "sign-out": { type: "boolean" } },
  async run({ db, values }) {
    const { updateUser, updateUserSchema } = await import("../../../lib/users/update-user");
    const email = required(values.email as string | undefined, "email").toLowerCase();
    const user = await db.user.findUnique({ where: { email } });
    if (!user) throw new StartupError(`no user with email ${email} (see npm run ctl -- user list)`);
    const input = updateUserSchema.parse({
      role: values.role,
      disabled: values.disable ? true : values.enable ? false : undefined,
      signOutEverywhere: values["sign-out"] ? true : undefined,
    });
    const updated = await updateUser(db, { userId: user.id, input, actor: CLI_ACTOR });
    note(`${updated.email}: ${updated.role}${updated.disabledAt ? ", disabled" : ""}${input.signOutEverywhere ? ", every session ended" : ""}`);
  },
};
