import { StartupError } from "../../../lib/startup-error";
import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const repoTestSettings: DatabaseCommand = {
  name: "repo test-settings",
  usage: [
    "repo test-settings --name <name> (--preset <preset> [--test-command <cmd>] [--install-command <cmd>]",
    "    [--time-limit <seconds>] [--memory-limit <mb>] [--disk-limit <mb>] [--process-limit <n>]",
    "    [--install-network none|egress] | --clear)",
    "    How the test agent tests the repository. Presets: node-test, node-vitest, node-jest,",
    "    python-pytest; a preset fills every field, options override it.",
  ],
  options: {
    name: { type: "string" },
    preset: { type: "string" },
    "test-command": { type: "string" },
    "install-command": { type: "string" },
    "time-limit": { type: "string" },
    "memory-limit": { type: "string" },
    "disk-limit": { type: "string" },
    "process-limit": { type: "string" },
    "install-network": { type: "string" },
    clear: { type: "boolean" },
  },
  async run({ db, values }) {
    const { updateRepositorySettings } = await import("../../../lib/repositories/update-repository-settings");
    const name = required(values.name as string | undefined, "name");
    const repository = await db.repository.findUnique({ where: { name } });
    if (!repository) throw new StartupError(`no repository named ${name} (see npm run ctl -- repo list)`);
    const optionalNumber = (flag: "time-limit" | "memory-limit" | "disk-limit" | "process-limit") => (values[flag] === undefined ? undefined : Number(values[flag]));
    const test = values.clear
      ? null
      : {
          preset: required(values.preset as string | undefined, "preset"),
          testCommand: values["test-command"] as string | undefined,
          installCommand: values["install-command"] as string | undefined,
          timeLimitSeconds: optionalNumber("time-limit"),
          memoryLimitMb: optionalNumber("memory-limit"),
          diskLimitMb: optionalNumber("disk-limit"),
          processLimit: optionalNumber("process-limit"),
          installNetwork: values["install-network"] as string | undefined,
        };
    await updateRepositorySettings(db, { repositoryId: repository.id, input: { test: test as never }, actor: CLI_ACTOR });
    note(test ? `${name}: tests run with the ${test.preset} preset` : `${name}: test settings cleared`);
  },
};
