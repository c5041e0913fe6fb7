import { describe, expect, it } from "vitest";
import { classifyGitlabEvent, gitlabActionOf, gitlabProjectPathOf, MERGE_REQUEST_HOOK } from "../../lib/code-host/gitlab/classify-event";
import { verifyGitlabToken } from "../../lib/code-host/gitlab/receive-webhook";
import { mergeRequestHook } from "../support/gitlab-webhook-examples";

// The payloads follow docs.gitlab.com's merge request webhook example (test/support/gitlab-webhook-examples.ts).

const repository = { fullName: "gitlabhq/gitlab-test", id: "1", installationId: "1" };

describe("classifyGitlabEvent", () => {
  it("open → pr_opened with the merge request in HostEvent terms", () => {
    const event = classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "open" }));
    expect(event).toEqual({
      kind: "pr_opened",
      action: "opened",
      repository,
      pullRequest: {
        number: 1,
        title: "MS-Viewport",
        body: "",
        author: "root",
        authorIsBot: false,
        base: { ref: "master", sha: "" },
        head: { ref: "ms-viewport", sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7" },
        draft: false,
        fork: false,
        headRepository: "gitlabhq/gitlab-test",
        createdAt: new Date("2013-12-03T17:23:34Z"),
        htmlUrl: "http://example.com/gitlabhq/gitlab-test/-/merge_requests/1",
      },
    });
  });

  it("reopen → pr_opened reopened; drafts and forks are marked", () => {
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "reopen" }))).toMatchObject({ kind: "pr_opened", action: "reopened" });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "open", draft: true }))).toMatchObject({ pullRequest: { draft: true } });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "open", sourceProjectId: 2 }))).toMatchObject({ pullRequest: { fork: true, headRepository: "awesome_space/gitlab-test" } });
  });

  it("update with oldrev → pr_synchronize; a draft marked ready → pr_opened ready_for_review; other updates are ignored", () => {
    const pushed = classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "update", oldrev: "b".repeat(40), headSha: "c".repeat(40) }));
    expect(pushed).toMatchObject({ kind: "pr_synchronize", repository, before: "b".repeat(40), after: "c".repeat(40), pullRequest: { head: { sha: "c".repeat(40) } } });
    const ready = classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "update", changes: { draft: { previous: true, current: false }, title: { previous: "Draft: MS-Viewport", current: "MS-Viewport" } } }));
    expect(ready).toMatchObject({ kind: "pr_opened", action: "ready_for_review" });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "update" }))).toMatchObject({ kind: "ignored", action: "update" });
  });

  it("close → pr_closed unmerged; merge → pr_closed merged at the hook's time (either time format)", () => {
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "close", updatedAt: "2013-12-04 09:00:00 UTC" }))).toEqual({
      kind: "pr_closed",
      repository,
      number: 1,
      headSha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
      merged: false,
      mergedAt: null,
      closedAt: new Date("2013-12-04T09:00:00Z"),
      mergeCommitSha: null,
    });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "merge", updatedAt: "2013-12-05T10:00:00Z" }))).toMatchObject({ kind: "pr_closed", merged: true, mergedAt: new Date("2013-12-05T10:00:00Z") });
  });

  it("ignores other actions, other events and malformed payloads, never throwing", () => {
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, mergeRequestHook({ action: "approved" }))).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/approved/) });
    expect(classifyGitlabEvent("Push Hook", { object_kind: "push" })).toMatchObject({ kind: "ignored", reason: "Push Hook events are not acted on" });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, { object_kind: "merge_request", object_attributes: { action: "open" } })).toMatchObject({ kind: "ignored", reason: expect.stringMatching(/^unexpected Merge Request Hook payload/) });
    expect(classifyGitlabEvent(MERGE_REQUEST_HOOK, null)).toMatchObject({ kind: "ignored" });
    expect(gitlabActionOf(mergeRequestHook({ action: "merge" }))).toBe("merge");
    expect(gitlabProjectPathOf(mergeRequestHook({ action: "merge" }))).toBe("gitlabhq/gitlab-test");
    expect(gitlabProjectPathOf("x")).toBeNull();
  });
});

describe("verifyGitlabToken", () => {
  it("accepts only the exact token, of any length", () => {
    expect(verifyGitlabToken("s3cret-token", "s3cret-token")).toBe(true);
    expect(verifyGitlabToken("s3cret-tokeN", "s3cret-token")).toBe(false);
    expect(verifyGitlabToken("s3cret", "s3cret-token")).toBe(false);
    expect(verifyGitlabToken("", "s3cret-token")).toBe(false);
    expect(verifyGitlabToken(null, "s3cret-token")).toBe(false);
    expect(verifyGitlabToken("", "")).toBe(false);
  });
});
