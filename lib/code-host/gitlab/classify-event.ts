import { z } from "zod";
import type { HostEvent, HostEventRepository, HostPullRequest, IgnoredEvent } from "../github/classify-event";

/**
 * What a GitLab webhook delivery means to Flowgate, in the same HostEvent terms as GitHub's (see
 * lib/code-host/github/classify-event.ts), from its event name (`X-Gitlab-Event`) and parsed
 * payload alone. Only merge request events are acted on ("Merge Request Hook", object_kind
 * merge_request):
 *
 * - open, reopen → pr_opened; update that marks a draft ready → pr_opened (ready_for_review)
 * - update with `oldrev` (new commits pushed) → pr_synchronize; other updates are ignored
 * - close → pr_closed (merged: false); merge → pr_closed (merged: true)
 *
 * The project stands for the repository: fullName is path_with_namespace, and the project id (as a
 * string) is both its id and its "installation" (the hook that gives Flowgate access). Never throws.
 */

export const MERGE_REQUEST_HOOK = "Merge Request Hook";

// GitLab writes webhook times either as ISO 8601 or as "2013-12-03 17:23:34 UTC".
const timestamp = z.string().transform((value, context) => {
  const iso = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) UTC$/.exec(value);
  const time = Date.parse(iso ? `${iso[1]}T${iso[2]}Z` : value);
  if (!Number.isFinite(time)) {
    context.addIssue({ code: "custom", message: "is not a time" });
    return z.NEVER;
  }
  return new Date(time);
});
const id = z.union([z.number(), z.string()]).transform(String);

const mergeRequestEvent = z.object({
  object_kind: z.literal("merge_request"),
  user: z.object({ username: z.string(), bot: z.boolean().nullish() }).nullish(),
  project: z.object({ id, path_with_namespace: z.string() }),
  object_attributes: z.object({
    iid: z.number().int().positive(),
    title: z.string(),
    description: z.string().nullish(),
    source_branch: z.string(),
    target_branch: z.string(),
    source_project_id: id,
    target_project_id: id,
    source: z.object({ path_with_namespace: z.string() }).nullish(),
    created_at: timestamp,
    updated_at: timestamp.nullish(),
    merged_at: timestamp.nullish(),
    closed_at: timestamp.nullish(),
    merge_commit_sha: z.string().nullish(),
    draft: z.boolean().nullish(),
    work_in_progress: z.boolean().nullish(),
    url: z.string().nullish(),
    action: z.string().nullish(),
    oldrev: z.string().nullish(),
    last_commit: z.object({ id: z.string() }),
  }),
  changes: z
    .object({
      draft: z.object({ previous: z.boolean().nullish(), current: z.boolean().nullish() }).nullish(),
      work_in_progress: z.object({ previous: z.boolean().nullish(), current: z.boolean().nullish() }).nullish(),
    })
    .nullish(),
});

/** The merge request's action (open, update, merge, …), when the payload has one. */
export function gitlabActionOf(payload: unknown): string | null {
  const action = (payload as { object_attributes?: { action?: unknown } } | null)?.object_attributes?.action;
  return typeof action === "string" ? action : null;
}

/** The project a delivery is about (its full path), when the payload names one. */
export function gitlabProjectPathOf(payload: unknown): string | null {
  const path = (payload as { project?: { path_with_namespace?: unknown } } | null)?.project?.path_with_namespace;
  return typeof path === "string" ? path : null;
}

export function classifyGitlabEvent(event: string, payload: unknown): HostEvent {
  const action = gitlabActionOf(payload);
  const ignored = (reason: string): IgnoredEvent => ({ kind: "ignored", event, action, reason });
  const kind = (payload as { object_kind?: unknown } | null)?.object_kind;
  if (event !== MERGE_REQUEST_HOOK || kind !== "merge_request") return ignored(`${event || "(no event)"} events are not acted on`);
  if (action === null || !["open", "reopen", "update", "close", "merge"].includes(action)) {
    return ignored(`merge request ${action ?? "(no action)"} changes nothing Flowgate acts on`);
  }
  const result = mergeRequestEvent.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    return ignored(`unexpected ${event} payload: ${issue.path.join(".") || "(payload)"} ${issue.message}`);
  }
  const data = result.data;
  const mr = data.object_attributes;
  const repository: HostEventRepository = { fullName: data.project.path_with_namespace, id: data.project.id, installationId: data.project.id };
  const headSha = mr.last_commit.id;

  if (action === "close" || action === "merge") {
    const merged = action === "merge";
    // The hook's copy has no merged_at or closed_at on every version: its updated_at is the moment.
    const at = mr.updated_at ?? null;
    return {
      kind: "pr_closed",
      repository,
      number: mr.iid,
      headSha,
      merged,
      mergedAt: merged ? (mr.merged_at ?? at) : null,
      closedAt: mr.closed_at ?? (merged ? (mr.merged_at ?? at) : at),
      mergeCommitSha: merged ? (mr.merge_commit_sha ?? null) : null,
    };
  }

  const draft = mr.draft ?? mr.work_in_progress ?? false;
  const pullRequest: HostPullRequest = {
    number: mr.iid,
    title: mr.title,
    body: mr.description ?? null,
    // The user who caused the event: the author on open; GitLab's hook names the author only by id.
    author: data.user?.username ?? "(unknown)",
    authorIsBot: data.user?.bot ?? false,
    // The hook does not say the base's commit: the fetch reads it from the target branch.
    base: { ref: mr.target_branch, sha: "" },
    head: { ref: mr.source_branch, sha: headSha },
    draft,
    fork: mr.source_project_id !== mr.target_project_id,
    headRepository: mr.source?.path_with_namespace ?? null,
    createdAt: mr.created_at,
    htmlUrl: mr.url ?? null,
  };

  if (action === "open" || action === "reopen") return { kind: "pr_opened", action: action === "open" ? "opened" : "reopened", repository, pullRequest };
  // update: new commits, or a draft marked ready; anything else (title, labels, reviewers) is not a change to run.
  if (mr.oldrev) return { kind: "pr_synchronize", repository, pullRequest, before: mr.oldrev, after: headSha };
  const readiness = data.changes?.draft ?? data.changes?.work_in_progress;
  if (readiness?.previous === true && readiness.current === false) return { kind: "pr_opened", action: "ready_for_review", repository, pullRequest };
  return ignored("merge request update without new commits changes nothing Flowgate acts on");
}
