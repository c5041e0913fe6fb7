import { StartupError } from "../../../lib/startup-error";
import { CLI_ACTOR, note, type DatabaseCommand } from "../support";

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(prompt);
      const stdin = process.stdin;
      stdin.setRawMode(true);
      stdin.resume();
      let answer = "";
      const onData = (data: Buffer) => {
        for (const char of data.toString("utf8")) {
          if (char === "\r" || char === "\n") {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off("data", onData);
            process.stderr.write("\n");
            resolve(answer);
            return;
          }
          if (char === "\u0003") process.exit(130);
          answer = char === "\u007f" ? answer.slice(0, -1) : answer + char;
        }
      };
      stdin.on("data", onData);
    });
  const password = await ask("Password: ");
  if ((await ask("Repeat password: ")) !== password) throw new StartupError("the passwords do not match");
  return password;
}

export const userCreate: DatabaseCommand = {
  name: "user create",
  usage: [
    "user create --email <email> --role <admin|reviewer|manager|auditor> [--name <name>]",
    "    The password is prompted for, or read from stdin when it is not a terminal.",
  ],
  options: { email: { type: "string" }, role: { type: "string" }, name: { type: "string" } },
  // Validate input before touching the database.
  ask: async () => ({ password: await readPassword() }),
  async run({ db, values, input }) {
    const { createUser, createUserSchema } = await import("../../../lib/users/create-user");
    const parsed = createUserSchema.parse({ email: values.email, role: values.role, name: values.name, password: input.password });
    const user = await createUser(db, { input: parsed, actor: CLI_ACTOR });
    note(`created ${user.role} ${user.email}`);
    process.stdout.write(`${user.id}\n`);
  },
};
