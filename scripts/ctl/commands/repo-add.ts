import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const repoAdd: DatabaseCommand = {
  name: "repo add",
  usage: ["repo add --name <name> --path <path-to-git-repo> [--default-branch main] [--test-preset <preset>]"],
  options: { name: { type: "string" }, path: { type: "string" }, "default-branch": { type: "string" }, "test-preset": { type: "string" } },
  async run({ db, values }) {
    const { registerRepository } = await import("../../../lib/repositories/register-repository");
    const repository = await registerRepository(db, {
      input: {
        name: values.name as string,
        path: required(values.path as string | undefined, "path"),
        defaultBranch: (values["default-branch"] as string) || undefined,
        test: values["test-preset"] ? ({ preset: values["test-preset"] } as never) : undefined,
      },
      actor: CLI_ACTOR,
    });
    note(`registered ${repository.name} at ${repository.location}`);
    process.stdout.write(`${repository.id}\n`);
  },
};
