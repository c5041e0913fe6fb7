/**
 * GitLab merge request webhook payloads, written from docs.gitlab.com's example of a "Merge Request
 * Hook" (user/project/integrations/webhook_events.md, "Merge request events"): the same fields and
 * shapes, with the action, revisions and draft state varied per case. GitLab's own timestamps in
 * hooks come as "2013-12-03 17:23:34 UTC" on older versions and ISO 8601 on newer: both appear.
 */

export const GITLAB_PROJECT = { id: 1, path: "gitlabhq/gitlab-test" };

interface Variant {
  action: "open" | "reopen" | "update" | "close" | "merge" | "approved";
  iid?: number;
  headSha?: string;
  oldrev?: string;
  draft?: boolean;
  sourceProjectId?: number;
  changes?: Record<string, unknown>;
  projectPath?: string;
  projectId?: number;
  createdAt?: string;
  updatedAt?: string;
}

export function mergeRequestHook(variant: Variant): Record<string, unknown> {
  const projectId = variant.projectId ?? GITLAB_PROJECT.id;
  const path = variant.projectPath ?? GITLAB_PROJECT.path;
  const sourceProjectId = variant.sourceProjectId ?? projectId;
  const project = {
    id: projectId,
    name: "Gitlab Test",
    description: "Aut reprehenderit ut est.",
    web_url: `http://example.com/${path}`,
    avatar_url: null,
    git_ssh_url: `git@example.com:${path}.git`,
    git_http_url: `http://example.com/${path}.git`,
    namespace: "GitlabHQ",
    visibility_level: 20,
    path_with_namespace: path,
    default_branch: "master",
    ci_config_path: "",
    homepage: `http://example.com/${path}`,
    url: `http://example.com/${path}.git`,
    ssh_url: `git@example.com:${path}.git`,
    http_url: `http://example.com/${path}.git`,
  };
  const source = sourceProjectId === projectId ? project : { ...project, id: sourceProjectId, name: "Gitlab Test fork", path_with_namespace: "awesome_space/gitlab-test", namespace: "Awesome Space" };
  const headSha = variant.headSha ?? "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  return {
    object_kind: "merge_request",
    event_type: "merge_request",
    user: { id: 1, name: "Administrator", username: "root", avatar_url: "http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon", email: "admin@example.com" },
    project,
    repository: { name: "Gitlab Test", url: `http://example.com/${path}.git`, description: "Aut reprehenderit ut est.", homepage: `http://example.com/${path}` },
    object_attributes: {
      id: 99,
      iid: variant.iid ?? 1,
      target_branch: "master",
      source_branch: "ms-viewport",
      source_project_id: sourceProjectId,
      author_id: 51,
      assignee_ids: [6],
      assignee_id: 6,
      reviewer_ids: [6],
      title: "MS-Viewport",
      created_at: variant.createdAt ?? "2013-12-03T17:23:34Z",
      updated_at: variant.updatedAt ?? "2013-12-03T17:23:34Z",
      last_edited_at: "2013-12-03T17:23:34Z",
      last_edited_by_id: 1,
      milestone_id: null,
      state_id: variant.action === "merge" ? 3 : variant.action === "close" ? 2 : 1,
      state: variant.action === "merge" ? "merged" : variant.action === "close" ? "closed" : "opened",
      blocking_discussions_resolved: true,
      work_in_progress: variant.draft ?? false,
      draft: variant.draft ?? false,
      first_contribution: true,
      merge_status: "unchecked",
      target_project_id: projectId,
      description: "",
      prepared_at: "2013-12-03T19:23:34Z",
      total_time_spent: 1800,
      time_change: 30,
      human_total_time_spent: "30m",
      human_time_change: "30s",
      human_time_estimate: "30m",
      url: `http://example.com/${path}/-/merge_requests/${variant.iid ?? 1}`,
      source,
      target: project,
      last_commit: {
        id: headSha,
        message: "fixed readme",
        title: "Update file README.md",
        timestamp: "2012-01-03T23:36:29+02:00",
        url: `http://example.com/${path}/commits/${headSha}`,
        author: { name: "GitLab dev user", email: "gitlabdev@dv6700.(none)" },
      },
      labels: [{ id: 206, title: "API", color: "#ffffff", project_id: 14, created_at: "2013-12-03T17:15:43Z", updated_at: "2013-12-03T17:15:43Z", template: false, description: "API related issues", type: "ProjectLabel", group_id: 41 }],
      action: variant.action,
      ...(variant.oldrev ? { oldrev: variant.oldrev } : {}),
      detailed_merge_status: "mergeable",
    },
    labels: [{ id: 206, title: "API", color: "#ffffff", project_id: 14, created_at: "2013-12-03T17:15:43Z", updated_at: "2013-12-03T17:15:43Z", template: false, description: "API related issues", type: "ProjectLabel", group_id: 41 }],
    changes: variant.changes ?? { updated_by_id: { previous: null, current: 1 }, updated_at: { previous: "2017-09-15 16:50:55 UTC", current: "2017-09-15 16:52:00 UTC" } },
    assignees: [{ id: 6, name: "User1", username: "user1", avatar_url: "http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon" }],
    reviewers: [{ id: 6, name: "User1", username: "user1", state: "unreviewed", avatar_url: "http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon" }],
  };
}
