import type { DatabaseCommand } from "../support";

export const repoList: DatabaseCommand = {
  name: "repo list",
  usage: ["repo list"],
  async run({ db }) {
    const { testSettingsOf } = await import("../../../lib/repositories/test-settings");
    for (const r of await db.repository.findMany({ orderBy: { name: "asc" } })) {
      process.stdout.write(`${r.name}\t${r.kind}\t${r.location}\ttests: ${testSettingsOf(r.settings)?.preset ?? "not configured"}\n`);
    }
  },
};
