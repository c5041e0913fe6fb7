import { z } from "zod";

/**
 * What a GitHub webhook delivery means to Flowgate, from its event name (`X-GitHub-Event`) and
 * parsed payload alone: no database, no clock, no network, so the receiving route and the
 * delivery job classify alike and the tests run it on GitHub's published example payloads.
 * Policy stays with the caller: a draft is a `pr_opened` with `draft: true`, a fork's pull
 * request is one with `fork: true`; whether either starts a run is decided there.
 *
 * Never throws: a payload without the fields an event needs is `ignored`, with the reason.
 */
export type HostEvent =
  | PullRequestOpened
  | PullRequestSynchronized
  | PullRequestClosed
  | InstallationAdded
  | InstallationRemoved
  | InstallationRepositoriesChanged
  | CheckRerequested
  | IgnoredEvent;

export type HostEventKind = HostEvent["kind"];

/** The repository a pull-request or check event is about, and the App installation it came through. */
export interface HostEventRepository {
  /** "owner/name". */
  fullName: string;
  /** GitHub's numeric repository id, as a string; survives renames. */
  id: string;
  /** Null when the delivery came from a repository webhook rather than the App. */
  installationId: string | null;
}

export interface HostPullRequestRef {
  ref: string;
  sha: string;
}

export interface HostPullRequest {
  number: number;
  title: string;
  body: string | null;
  /** The author's login, and whether GitHub says the account is a bot (Dependabot, Renovate). */
  author: string;
  authorIsBot: boolean;
  base: HostPullRequestRef;
  head: HostPullRequestRef;
  draft: boolean;
  /** The head branch lives in another repository than the base (or its repository was deleted). */
  fork: boolean;
  /** The head's repository, "owner/name"; null when that repository was deleted. */
  headRepository: string | null;
  createdAt: Date;
  htmlUrl: string | null;
}

/** Opened, reopened, or marked ready for review (a draft becoming a real change). */
export interface PullRequestOpened {
  kind: "pr_opened";
  action: "opened" | "reopened" | "ready_for_review";
  repository: HostEventRepository;
  pullRequest: HostPullRequest;
}

/** New commits on the head branch (a push or a force-push): `after` is the new head. */
export interface PullRequestSynchronized {
  kind: "pr_synchronize";
  repository: HostEventRepository;
  pullRequest: HostPullRequest;
  /** The head before the push; null when GitHub did not say. */
  before: string | null;
  after: string;
}

export interface PullRequestClosed {
  kind: "pr_closed";
  repository: HostEventRepository;
  number: number;
  headSha: string;
  merged: boolean;
  mergedAt: Date | null;
  closedAt: Date | null;
  mergeCommitSha: string | null;
}

export interface HostAccount {
  login: string;
  /** "User" or "Organization". */
  type: string;
}

/**
 * The App was installed (`created`) or an installation was unsuspended. `repositories` is the
 * payload's list ("owner/name"); it is empty on `unsuspend`, which concerns every repository of
 * the installation.
 */
export interface InstallationAdded {
  kind: "installation_added";
  action: "created" | "unsuspend";
  installationId: string;
  account: HostAccount;
  /** "all" or "selected" repositories of the account; null when GitHub did not say. */
  repositorySelection: string | null;
  repositories: string[];
}

/**
 * The App was uninstalled (`deleted`) or the installation suspended: Flowgate has lost access.
 * `repositories` may be empty (always on `suspend`): then every repository of the installation.
 */
export interface InstallationRemoved {
  kind: "installation_removed";
  action: "deleted" | "suspend";
  installationId: string;
  account: HostAccount;
  repositories: string[];
}

/** Repositories added to or removed from an installation that covers selected repositories. */
export interface InstallationRepositoriesChanged {
  kind: "installation_repositories";
  action: "added" | "removed";
  installationId: string;
  account: HostAccount;
  repositorySelection: string | null;
  added: string[];
  removed: string[];
}

/**
 * Somebody asked GitHub to run Flowgate's check again: one check run ("Re-run") or the App's
 * whole suite ("Re-run all checks"). GitHub sends these only to the App that created the check.
 */
export interface CheckRerequested {
  kind: "check_rerequested";
  source: "check_run" | "check_suite";
  repository: HostEventRepository;
  headSha: string;
  /** The check run's name (`flowgate/gate`, `flowgate/review`); null for a whole suite. */
  checkName: string | null;
  /** The pull requests GitHub associates with the commit (empty for forks' pull requests). */
  pullRequests: number[];
}

export interface IgnoredEvent {
  kind: "ignored";
  event: string;
  action: string | null;
  reason: string;
}

// Only the fields Flowgate reads; everything else in a payload is dropped by parsing (zod's
// default), and what GitHub may send as null is nullable here.
const id = z.union([z.number(), z.string()]).transform(String);
const timestamp = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
// An enterprise installation's account has a slug and a name instead of a login.
const account = z
  .object({ login: z.string().nullish(), slug: z.string().nullish(), name: z.string().nullish(), type: z.string().nullish() })
  .transform((a): HostAccount => ({ login: a.login ?? a.slug ?? a.name ?? "(unknown)", type: a.type ?? "User" }))
  .nullish()
  .catch(null);
const repository = z.object({ id, full_name: z.string() });
const installation = z.object({ id }).nullish();

const pullRequest = z.object({
  number: z.number().int().positive(),
  title: z.string(),
  body: z.string().nullish(),
  user: z.object({ login: z.string(), type: z.string().nullish() }),
  draft: z.boolean().nullish(),
  created_at: timestamp,
  closed_at: timestamp.nullish(),
  merged_at: timestamp.nullish(),
  merged: z.boolean().nullish(),
  merge_commit_sha: z.string().nullish(),
  html_url: z.string().nullish(),
  base: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }) }),
  head: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }).nullish() }),
});

const pullRequestEvent = z.object({
  action: z.string(),
  number: z.number().int().optional(),
  pull_request: pullRequest,
  repository,
  installation,
  before: z.string().nullish(),
  after: z.string().nullish(),
});

const installationEvent = z.object({
  action: z.string(),
  installation: z.object({ id, account: account.nullish(), repository_selection: z.string().nullish() }),
  repositories: z.array(z.object({ full_name: z.string() })).nullish(),
});

const installationRepositoriesEvent = z.object({
  action: z.string(),
  installation: z.object({ id, account: account.nullish() }),
  repository_selection: z.string().nullish(),
  repositories_added: z.array(z.object({ full_name: z.string() })).default([]),
  repositories_removed: z.array(z.object({ full_name: z.string() })).default([]),
});

const checkPullRequests = z.array(z.object({ number: z.number().int() })).default([]);
const checkRunEvent = z.object({
  action: z.string(),
  check_run: z.object({ name: z.string(), head_sha: z.string(), pull_requests: checkPullRequests }),
  repository,
  installation,
});
const checkSuiteEvent = z.object({
  action: z.string(),
  check_suite: z.object({ head_sha: z.string(), pull_requests: checkPullRequests }),
  repository,
  installation,
});

const OPENING_ACTIONS = new Set(["opened", "reopened", "ready_for_review"]);

/** The event's `action`, when the payload has one (every event Flowgate handles does). */
export function actionOf(payload: unknown): string | null {
  const action = (payload as { action?: unknown } | null)?.action;
  return typeof action === "string" ? action : null;
}

/** The repository a delivery is about ("owner/name"), when its payload names one. */
export function repositoryFullNameOf(payload: unknown): string | null {
  const name = (payload as { repository?: { full_name?: unknown } | null } | null)?.repository?.full_name;
  return typeof name === "string" ? name : null;
}

export function classifyGithubEvent(event: string, payload: unknown): HostEvent {
  const action = actionOf(payload);
  const ignored = (reason: string): IgnoredEvent => ({ kind: "ignored", event, action, reason });
  const parse = <S extends z.ZodType>(schema: S): z.output<S> | IgnoredEvent => {
    const result = schema.safeParse(payload);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    return ignored(`unexpected ${event} payload: ${issue.path.join(".") || "(payload)"} ${issue.message}`);
  };

  switch (event) {
    case "pull_request": {
      if (action === null || !["opened", "reopened", "ready_for_review", "synchronize", "closed"].includes(action)) {
        return ignored(`pull_request ${action ?? "(no action)"} changes nothing Flowgate acts on`);
      }
      const data = parse(pullRequestEvent);
      if (isIgnored(data)) return data;
      const repo = eventRepository(data.repository, data.installation);
      const pr = data.pull_request;
      if (action === "closed") {
        // The webhook's copy has `merged`; merged_at alone says the same where it is missing.
        const merged = pr.merged ?? pr.merged_at != null;
        return {
          kind: "pr_closed",
          repository: repo,
          number: pr.number,
          headSha: pr.head.sha,
          merged,
          mergedAt: merged ? (pr.merged_at ?? null) : null,
          closedAt: pr.closed_at ?? null,
          // Before a merge GitHub fills merge_commit_sha with its test merge: only a merge's counts.
          mergeCommitSha: merged ? (pr.merge_commit_sha ?? null) : null,
        };
      }
      const pullRequest: HostPullRequest = {
        number: pr.number,
        title: pr.title,
        body: pr.body ?? null,
        author: pr.user.login,
        authorIsBot: pr.user.type === "Bot",
        base: { ref: pr.base.ref, sha: pr.base.sha },
        head: { ref: pr.head.ref, sha: pr.head.sha },
        draft: pr.draft ?? false,
        fork: pr.head.repo?.full_name !== pr.base.repo.full_name,
        headRepository: pr.head.repo?.full_name ?? null,
        createdAt: pr.created_at,
        htmlUrl: pr.html_url ?? null,
      };
      if (action === "synchronize") {
        return { kind: "pr_synchronize", repository: repo, pullRequest, before: data.before ?? null, after: data.after ?? pr.head.sha };
      }
      if (OPENING_ACTIONS.has(action)) return { kind: "pr_opened", action: action as PullRequestOpened["action"], repository: repo, pullRequest };
      return ignored(`pull_request ${action} changes nothing Flowgate acts on`);
    }

    case "installation": {
      if (action !== "created" && action !== "unsuspend" && action !== "deleted" && action !== "suspend") {
        return ignored(`installation ${action ?? "(no action)"} changes no repository's access`);
      }
      const data = parse(installationEvent);
      if (isIgnored(data)) return data;
      const common = {
        installationId: data.installation.id,
        account: hostAccount(data.installation.account),
        repositories: (data.repositories ?? []).map((r) => r.full_name),
      };
      if (action === "created" || action === "unsuspend") {
        return { kind: "installation_added", action, ...common, repositorySelection: data.installation.repository_selection ?? null };
      }
      return { kind: "installation_removed", action, ...common };
    }

    case "installation_repositories": {
      if (action !== "added" && action !== "removed") return ignored(`installation_repositories ${action ?? "(no action)"} is not added or removed`);
      const data = parse(installationRepositoriesEvent);
      if (isIgnored(data)) return data;
      return {
        kind: "installation_repositories",
        action,
        installationId: data.installation.id,
        account: hostAccount(data.installation.account),
        repositorySelection: data.repository_selection ?? null,
        added: data.repositories_added.map((r) => r.full_name),
        removed: data.repositories_removed.map((r) => r.full_name),
      };
    }

    case "check_run": {
      if (action !== "rerequested") return ignored(`check_run ${action ?? "(no action)"} is not a re-run request`);
      const data = parse(checkRunEvent);
      if (isIgnored(data)) return data;
      return {
        kind: "check_rerequested",
        source: "check_run",
        repository: eventRepository(data.repository, data.installation),
        headSha: data.check_run.head_sha,
        checkName: data.check_run.name,
        pullRequests: data.check_run.pull_requests.map((p) => p.number),
      };
    }

    case "check_suite": {
      if (action !== "rerequested") return ignored(`check_suite ${action ?? "(no action)"} is not a re-run request`);
      const data = parse(checkSuiteEvent);
      if (isIgnored(data)) return data;
      return {
        kind: "check_rerequested",
        source: "check_suite",
        repository: eventRepository(data.repository, data.installation),
        headSha: data.check_suite.head_sha,
        checkName: null,
        pullRequests: data.check_suite.pull_requests.map((p) => p.number),
      };
    }

    case "ping":
      return ignored("ping: GitHub checking the webhook works");

    default:
      return ignored(`${event} events are not acted on`);
  }
}

function isIgnored(value: unknown): value is IgnoredEvent {
  return (value as { kind?: unknown }).kind === "ignored";
}

function eventRepository(repo: { id: string; full_name: string }, inst: { id: string } | null | undefined): HostEventRepository {
  return { fullName: repo.full_name, id: repo.id, installationId: inst?.id ?? null };
}

function hostAccount(value: HostAccount | null | undefined): HostAccount {
  return value ?? { login: "(unknown)", type: "User" };
}
