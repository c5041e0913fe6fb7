import { auditActor } from "@/lib/auth/actor";
import { json, parseBody, route } from "@/lib/http/route";
import { testSettingsOf } from "@/lib/repositories/test-settings";
import { updateTestSettings, updateTestSettingsSchema } from "@/lib/repositories/update-test-settings";

/** PATCH { test: {...} | null }: how the test agent tests this repository. */
export const PATCH = route<{ id: string }>(
  async ({ req, db, actor, params }) => {
    const input = await parseBody(req, updateTestSettingsSchema);
    const repository = await updateTestSettings(db, { repositoryId: params.id, input, actor: auditActor(actor) });
    return json({ repository: { id: repository.id, name: repository.name, test: testSettingsOf(repository.settings) } });
  },
  { permission: "settings:manage" },
);
