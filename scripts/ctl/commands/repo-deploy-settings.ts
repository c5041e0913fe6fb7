import fs from "node:fs";
import { StartupError } from "../../../lib/startup-error";
import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const repoDeploySettings: DatabaseCommand = {
  name: "repo deploy-settings",
  usage: [
    "repo deploy-settings --name <name> (--file <deploy.json> | --clear)",
    "    How staging and the canary deploy it: targets, metric sources, smoke checks, the staging",
    "    adjustment factor (see lib/repositories/deploy-settings.ts). Validated before it is saved.",
  ],
  options: { name: { type: "string" }, file: { type: "string" }, clear: { type: "boolean" } },
  async run({ db, values }) {
    const { updateRepositorySettings } = await import("../../../lib/repositories/update-repository-settings");
    const name = required(values.name as string | undefined, "name");
    const repository = await db.repository.findUnique({ where: { name } });
    if (!repository) throw new StartupError(`no repository named ${name} (see npm run ctl -- repo list)`);
    let deploy: unknown = null;
    if (!values.clear) {
      const file = required(values.file as string | undefined, "file");
      try {
        deploy = JSON.parse(fs.readFileSync(file, "utf8"));
      } catch (err) {
        throw new StartupError(`could not read ${file} as JSON: ${(err as Error).message}`);
      }
    }
    await updateRepositorySettings(db, { repositoryId: repository.id, input: { deploy: deploy as never }, actor: CLI_ACTOR });
    note(deploy ? `${name}: deploy settings saved` : `${name}: deploy settings cleared (simulated target and metrics)`);
  },
};
