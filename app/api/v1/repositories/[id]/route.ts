import { auditActor } from "@/lib/auth/actor";
import { mergeSettingsOf } from "@/lib/code-host/merge-settings";
import { json, parseBody, route } from "@/lib/http/route";
import { deploySettingsOf } from "@/lib/repositories/deploy-settings";
import { testSettingsOf } from "@/lib/repositories/test-settings";
import { updateRepositorySettings, updateRepositorySettingsSchema } from "@/lib/repositories/update-repository-settings";

/** PATCH { test?, deploy?, merge? } (each {...} or null): how the agents test and deploy this repository, and how its pull requests merge. */
export const PATCH = route<{ id: string }>(
  async ({ req, db, actor, params }) => {
    const input = await parseBody(req, updateRepositorySettingsSchema);
    const repository = await updateRepositorySettings(db, { repositoryId: params.id, input, actor: auditActor(actor) });
    return json({ repository: { id: repository.id, name: repository.name, test: testSettingsOf(repository.settings), deploy: deploySettingsOf(repository.settings), merge: mergeSettingsOf(repository.settings) } });
  },
  { permission: "settings:manage" },
);
