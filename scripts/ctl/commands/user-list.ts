import type { DatabaseCommand } from "../support";

export const userList: DatabaseCommand = {
  name: "user list",
  usage: ["user list"],
  async run({ db }) {
    const users = await db.user.findMany({ orderBy: { email: "asc" } });
    for (const u of users) process.stdout.write(`${u.email}\t${u.role}\t${u.name}${u.disabledAt ? "\tdisabled" : ""}\n`);
  },
};
