/**
 * The code-host layer (issue #18): one interface, a GitHub and a GitLab implementation (the shape
 * of Renovate's `Platform`). The engine and the agents never see a host: they produce transitions
 * and assessments, and the publisher turns those into checks, statuses and comments here.
 */

export const codeHostKinds = ["github", "gitlab"] as const;
export type CodeHostKind = (typeof codeHostKinds)[number];

/** A repository kind registered by a code host (the others are local directories and remote URLs). */
export function isCodeHostKind(kind: string): kind is CodeHostKind {
  return (codeHostKinds as readonly string[]).includes(kind);
}

/** A repository on a host, as an installation registered it. */
export interface HostRepository {
  host: CodeHostKind;
  /** "owner/name" on GitHub, the project's full path on GitLab. */
  fullName: string;
  /** The installation (GitHub App) or project hook (GitLab) that gives Flowgate access. */
  installationId: string;
}

export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "action_required" | "skipped";

/** A file/line note on a check: a finding or an uncovered changed line. */
export interface CheckAnnotation {
  path: string;
  startLine: number;
  endLine: number;
  level: "notice" | "warning" | "failure";
  title?: string;
  message: string;
}

/** One check on one commit: `flowgate/gate` (the one to require) or `flowgate/<stage>`. */
export interface CheckPublication {
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  /** Where a person acts on it: the escalation in the inbox, or the run page. */
  detailsUrl?: string;
  annotations: CheckAnnotation[];
}

/** Times from the host's clock, for lead time that starts before Flowgate saw the change. */
export interface PullRequestTimes {
  openedAt: Date;
  firstCommitAt: Date | null;
  mergedAt: Date | null;
  closedAt: Date | null;
}

export type MergeMethod = "merge" | "squash" | "rebase";

export interface MergeResult {
  merged: boolean;
  /** The merge commit, when merged. */
  sha?: string;
  /** Why not, in the host's words (base moved, checks pending, not mergeable). */
  reason?: string;
}

/** How a git process fetches from the host without the token ever reaching a URL or `.git/config`. */
export interface FetchCredentials {
  url: string;
  /** Passed as `http.extraHeader` through the git process's environment only. */
  extraHeader: string;
  /** The secret inside the header, for redaction (with its base64 form). */
  secret: string;
}

export interface CodeHost {
  kind: CodeHostKind;
  /** Creates or updates the check of that name on that commit; returns the host's id for it. */
  publishCheck(repository: HostRepository, check: CheckPublication): Promise<{ id: string }>;
  /** The one Flowgate comment on the pull request, found by a hidden marker and edited in place. */
  upsertStickyComment(repository: HostRepository, pullRequest: number, body: string): Promise<{ id: string }>;
  mergePullRequest(repository: HostRepository, pullRequest: number, options: { sha: string; method: MergeMethod }): Promise<MergeResult>;
  pullRequestTimes(repository: HostRepository, pullRequest: number): Promise<PullRequestTimes>;
  fetchCredentials(repository: HostRepository): Promise<FetchCredentials>;
}
