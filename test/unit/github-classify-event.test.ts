import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyGithubEvent, type HostEvent } from "@/lib/code-host/github/classify-event";

// GitHub's documented example payloads (@octokit/webhooks-examples), for github.com and each GHES.
interface ExampleSet {
  name: string;
  examples: Record<string, unknown>[];
}
const examplesDir = path.resolve(import.meta.dirname, "../../node_modules/@octokit/webhooks-examples");
const load = (dir: string): ExampleSet[] => JSON.parse(fs.readFileSync(path.join(examplesDir, dir, "index.json"), "utf8"));
const dotcom = load("api.github.com");
const everyVersion = fs
  .readdirSync(examplesDir)
  .filter((dir) => fs.existsSync(path.join(examplesDir, dir, "index.json")))
  .map((dir) => ({ dir, sets: load(dir) }));

function examples(event: string, action?: string): Record<string, unknown>[] {
  const found = dotcom.find((set) => set.name === event)?.examples.filter((e) => action === undefined || e.action === action) ?? [];
  expect(found.length, `${event} ${action ?? ""} examples`).toBeGreaterThan(0);
  return found;
}

function only<K extends HostEvent["kind"]>(event: HostEvent, kind: K): Extract<HostEvent, { kind: K }> {
  expect(event.kind, JSON.stringify(event)).toBe(kind);
  return event as Extract<HostEvent, { kind: K }>;
}

describe("classifying GitHub's example deliveries", () => {
  it("reads every pull_request example of every GitHub version without throwing", () => {
    let count = 0;
    for (const { dir, sets } of everyVersion) {
      for (const payload of sets.find((set) => set.name === "pull_request")?.examples ?? []) {
        const event = classifyGithubEvent("pull_request", payload);
        count++;
        // The actions Flowgate acts on always classify; a payload of theirs is never "unexpected".
        if (["opened", "reopened", "ready_for_review", "synchronize", "closed"].includes(payload.action as string)) {
          expect(event.kind, `${dir} pull_request ${String(payload.action)}: ${JSON.stringify(event)}`).not.toBe("ignored");
        } else {
          expect(event).toMatchObject({ kind: "ignored", event: "pull_request", action: payload.action });
        }
      }
    }
    expect(count).toBeGreaterThanOrEqual(29);
  });

  it("never throws on any example of any event, or on junk", () => {
    for (const { sets } of everyVersion) for (const set of sets) for (const payload of set.examples) expect(() => classifyGithubEvent(set.name, payload)).not.toThrow();
    for (const junk of [null, undefined, 42, "text", [], {}, { action: "opened" }, { action: "opened", pull_request: null }]) {
      expect(classifyGithubEvent("pull_request", junk).kind).toBe("ignored");
      expect(classifyGithubEvent("installation", junk).kind).toBe("ignored");
      expect(classifyGithubEvent("check_run", junk).kind).toBe("ignored");
    }
    expect(classifyGithubEvent("pull_request", { action: "opened", pull_request: null })).toMatchObject({ reason: expect.stringMatching(/^unexpected pull_request payload: pull_request /) });
  });

  it("opened: the repository, installation and everything a run needs from the pull request", () => {
    const [withInstallation] = examples("pull_request", "opened").filter((e) => e.installation);
    const event = only(classifyGithubEvent("pull_request", withInstallation), "pr_opened");
    expect(event).toEqual({
      kind: "pr_opened",
      action: "opened",
      repository: { fullName: "Codertocat/Hello-World", id: "186853002", installationId: expect.stringMatching(/^\d+$/) },
      pullRequest: {
        number: 2,
        title: "Update the README with new information.",
        body: "This is a pretty simple change that we need to pull into master.",
        author: "Codertocat",
        authorIsBot: false,
        base: { ref: "master", sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e" },
        head: { ref: "changes", sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821" },
        draft: false,
        fork: false,
        headRepository: "Codertocat/Hello-World",
        createdAt: new Date("2019-05-15T15:20:33Z"),
        htmlUrl: "https://github.com/Codertocat/Hello-World/pull/2",
      },
    });
    const [withoutInstallation] = examples("pull_request", "opened").filter((e) => !e.installation);
    expect(only(classifyGithubEvent("pull_request", withoutInstallation), "pr_opened").repository.installationId).toBeNull();
  });

  it("reopened and ready_for_review open it too", () => {
    for (const action of ["reopened", "ready_for_review"] as const) {
      for (const payload of examples("pull_request", action)) expect(only(classifyGithubEvent("pull_request", payload), "pr_opened").action).toBe(action);
    }
  });

  it("a draft is opened with draft: true (the caller decides), a fork's with fork: true", () => {
    const [opened] = examples("pull_request", "opened");
    const pr = opened.pull_request as Record<string, Record<string, unknown>>;
    const draft = { ...opened, pull_request: { ...pr, draft: true } };
    expect(only(classifyGithubEvent("pull_request", draft), "pr_opened").pullRequest.draft).toBe(true);
    const fork = { ...opened, pull_request: { ...pr, head: { ...pr.head, repo: { ...(pr.head.repo as object), full_name: "someone/Hello-World" } } } };
    expect(only(classifyGithubEvent("pull_request", fork), "pr_opened").pullRequest).toMatchObject({ fork: true, headRepository: "someone/Hello-World" });
    // The fork was deleted after the pull request was opened: GitHub sends head.repo null.
    const gone = { ...opened, pull_request: { ...pr, head: { ...pr.head, repo: null } } };
    expect(only(classifyGithubEvent("pull_request", gone), "pr_opened").pullRequest).toMatchObject({ fork: true, headRepository: null });
    const bot = { ...opened, pull_request: { ...pr, user: { login: "dependabot[bot]", type: "Bot" } } };
    expect(only(classifyGithubEvent("pull_request", bot), "pr_opened").pullRequest).toMatchObject({ author: "dependabot[bot]", authorIsBot: true });
  });

  it("converted_to_draft, labeled, assigned and the like are ignored, with a reason", () => {
    for (const action of ["converted_to_draft", "labeled", "assigned", "review_requested", "locked"]) {
      for (const payload of examples("pull_request", action)) {
        expect(classifyGithubEvent("pull_request", payload)).toEqual({ kind: "ignored", event: "pull_request", action, reason: `pull_request ${action} changes nothing Flowgate acts on` });
      }
    }
  });

  it("synchronize: the new head", () => {
    const [payload] = examples("pull_request", "synchronize");
    const event = only(classifyGithubEvent("pull_request", payload), "pr_synchronize");
    expect(event.after).toBe("ec26c3e57ca3a959ca5aad62de7213c562f8c821");
    expect(event.before).toBe("f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
    expect(event.pullRequest.head.sha).toBe(event.after);
    expect(event.repository.fullName).toBe("Codertocat/Hello-World");
  });

  it("closed without merging, and merged", () => {
    // GitHub's examples hold only unmerged closes; the merged one is the same delivery as GitHub
    // sends it after a merge (merged, merged_at, the merge commit).
    for (const payload of examples("pull_request", "closed")) {
      expect(only(classifyGithubEvent("pull_request", payload), "pr_closed")).toMatchObject({
        number: 2,
        merged: false,
        mergedAt: null,
        closedAt: new Date("2019-05-15T15:21:18Z"),
        mergeCommitSha: null,
        headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      });
    }
    const [closed] = examples("pull_request", "closed");
    const pr = closed.pull_request as Record<string, unknown>;
    const merged = { ...closed, pull_request: { ...pr, merged: true, merged_at: "2019-05-15T15:21:18Z", merge_commit_sha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85" } };
    expect(only(classifyGithubEvent("pull_request", merged), "pr_closed")).toMatchObject({
      merged: true,
      mergedAt: new Date("2019-05-15T15:21:18Z"),
      closedAt: new Date("2019-05-15T15:21:18Z"),
      mergeCommitSha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
    });
  });

  it("installation created and deleted: the installation, its account and its repositories", () => {
    for (const payload of examples("installation", "created")) {
      expect(only(classifyGithubEvent("installation", payload), "installation_added")).toEqual({
        kind: "installation_added",
        action: "created",
        installationId: "957387",
        account: { login: "Codertocat", type: "User" },
        repositorySelection: "selected",
        repositories: ["Codertocat/Hello-World"],
      });
    }
    for (const payload of examples("installation", "deleted")) {
      expect(only(classifyGithubEvent("installation", payload), "installation_removed")).toEqual({
        kind: "installation_removed",
        action: "deleted",
        installationId: "2",
        account: { login: "octocat", type: "User" },
        repositories: ["octocat/Hello-World"],
      });
    }
    const [suspend] = examples("installation", "suspend");
    expect(only(classifyGithubEvent("installation", suspend), "installation_removed")).toMatchObject({ action: "suspend", repositories: [] });
    const [unsuspend] = examples("installation", "unsuspend");
    expect(only(classifyGithubEvent("installation", unsuspend), "installation_added")).toMatchObject({ action: "unsuspend", repositories: [] });
    const [permissions] = examples("installation", "new_permissions_accepted");
    expect(classifyGithubEvent("installation", permissions).kind).toBe("ignored");
  });

  it("installation_repositories added and removed", () => {
    for (const payload of examples("installation_repositories", "added")) {
      expect(only(classifyGithubEvent("installation_repositories", payload), "installation_repositories")).toEqual({
        kind: "installation_repositories",
        action: "added",
        installationId: "957387",
        account: { login: "Codertocat", type: "User" },
        repositorySelection: "selected",
        added: ["Codertocat/Space"],
        removed: [],
      });
    }
    const [removed] = examples("installation_repositories", "removed");
    expect(only(classifyGithubEvent("installation_repositories", removed), "installation_repositories")).toMatchObject({ action: "removed", installationId: "2", added: [], removed: ["octocat/Hello-World"] });
  });

  it("check_run and check_suite rerequested: the commit to check again", () => {
    for (const payload of examples("check_run", "rerequested")) {
      expect(only(classifyGithubEvent("check_run", payload), "check_rerequested")).toEqual({
        kind: "check_rerequested",
        source: "check_run",
        repository: { fullName: "github/hello-world", id: expect.stringMatching(/^\d+$/), installationId: "1" },
        headSha: "d6fde92930d4715a2b49857d24b940956b26d2d3",
        checkName: "randscape",
        pullRequests: [],
      });
    }
    const [suite] = examples("check_suite", "rerequested");
    expect(only(classifyGithubEvent("check_suite", suite), "check_rerequested")).toMatchObject({
      source: "check_suite",
      headSha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
      checkName: null,
      pullRequests: [2],
      repository: { installationId: "957387" },
    });
    for (const payload of examples("check_run", "completed")) expect(classifyGithubEvent("check_run", payload).kind).toBe("ignored");
  });

  it("other events, and ping, are ignored with a reason", () => {
    expect(classifyGithubEvent("ping", { zen: "Keep it logically awesome." })).toMatchObject({ kind: "ignored", event: "ping", action: null, reason: expect.stringMatching(/^ping/) });
    const [push] = examples("push");
    expect(classifyGithubEvent("push", push)).toEqual({ kind: "ignored", event: "push", action: null, reason: "push events are not acted on" });
  });
});
