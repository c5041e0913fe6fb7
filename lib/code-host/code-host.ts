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

/** Where a pull request's head stands against its base branch's current tip. */
export interface BaseStatus {
  baseRef: string;
  /** The base branch's tip now. */
  baseSha: string;
  /** Commits on the base branch that the head does not contain: 0 means up to date. */
  behindBy: number;
}

/** The host's answer to "bring this pull request up to date with its base". */
export type BranchUpdate = { requested: true } | { requested: false; reason: string };

/**
 * One deployment of a commit as the host records it (GitHub Deployments): the canary and the
 * promotion each have their own environment, and each state change is a status.
 */
export interface DeploymentPublication {
  /** Flowgate's deployment id: how a resent publication finds the host's deployment again. */
  deploymentId: string;
  headSha: string;
  environment: string;
  production: boolean;
  transient: boolean;
  state: "in_progress" | "success" | "failure" | "error" | "inactive";
  description: string;
  /** The deployment's page in Flowgate. */
  logUrl: string;
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
  /** Whether the head contains its base branch's current tip (deploy-then-merge deploys only such heads). */
  baseStatus(repository: HostRepository, pullRequest: number, headSha: string): Promise<BaseStatus>;
  /** Asks the host to merge the base into the head (GitHub) or rebase it (GitLab); the push that follows starts a new run. */
  updateBranch(repository: HostRepository, pullRequest: number, expectedHeadSha: string): Promise<BranchUpdate>;
  /** Records a deployment's state on the host; null when the host has no deployments to record it in. */
  publishDeployment(repository: HostRepository, deployment: DeploymentPublication): Promise<{ id: string } | null>;
}
