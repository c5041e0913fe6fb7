import { z } from "zod";

/**
 * How a code-host repository's pull requests reach the default branch, stored under `merge` in
 * Repository.settings. `deploy_then_merge` (the default, the pipeline as it is: deploy the head,
 * canary, promote) has Flowgate merge the pull request once the canary is promoted, so the default
 * branch always equals production. `gate_only` leaves merging to people; Flowgate's checks gate it.
 */
export const mergeSettingsSchema = z.strictObject({
  mode: z.enum(["deploy_then_merge", "gate_only"]).default("deploy_then_merge"),
  method: z.enum(["merge", "squash", "rebase"]).default("squash"),
});
export type MergeSettings = z.infer<typeof mergeSettingsSchema>;

/** The stored section, or the defaults when there is none (or it no longer parses). */
export function mergeSettingsOf(settings: unknown): MergeSettings {
  const parsed = mergeSettingsSchema.safeParse((settings as { merge?: unknown } | null)?.merge ?? {});
  return parsed.success ? parsed.data : mergeSettingsSchema.parse({});
}
