import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import { CodeHostRateLimited } from "@/lib/code-host/code-host-errors";
import { createGitHubHost } from "@/lib/code-host/github/github-host";
import { queuePublications, type PublishJobPayload } from "@/lib/code-host/publish/outbox";
import { publishPending, type HostResolver } from "@/lib/code-host/publish/publish";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { log } from "@/lib/log";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { submitRun } from "@/lib/runs/submit-run";
import { evalDiff } from "../support/diffs";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { startFakeGitHubApi, type FakeGitHubApi } from "../support/fake-github";
import { stageAgents } from "../support/stage-agents";

// From the outbox to the pull request: the publish job through the real GitHub host (Octokit)
// against the fake GitHub REST API (test/support/fake-github.ts).

const system = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "code-host-publish" });
const APP_ID = 777;
const INSTALLATION = "99";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });

describe("publishing a run's outcome to GitHub", () => {
  let t: TestDatabase;
  let fake: FakeGitHubApi;
  let resolve: HostResolver;
  let pr = 7;

  async function reviewedPullRequest() {
    const number = pr++;
    const headSha = `${number}`.padStart(40, "d");
    fake.addPullRequest("acme/shop", { number, headSha, createdAt: "2026-12-01T09:00:00Z", commits: [] });
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "acme/shop", prNumber: number, title: "Reports", author: "dev@example.com", baseSha: "a".repeat(40), headSha, diff: evalDiff },
    });
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    return { runId: run.id, number, headSha };
  }
  const jobsOf = async (runId: string): Promise<PublishJobPayload[]> =>
    (await t.db.codeHostPublication.findMany({ where: { runId, status: "pending" }, distinct: ["kind", "name"], select: { kind: true, name: true } })).map((p) => ({ runId, kind: p.kind as "check" | "comment", name: p.name }));

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    await t.db.repository.create({ data: { name: "acme/shop", kind: "github", location: "acme/shop", hostInstallationId: INSTALLATION } });
    fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [INSTALLATION]: ["acme/shop"] } });
    const host = createGitHubHost({
      appId: APP_ID,
      privateKey: keys.privateKey,
      baseUrl: fake.url,
      limits: { rateLimitRetries: 1, maxRateLimitWaitSeconds: 2, serverErrorRetries: 1, serverErrorBaseDelayMs: 5, requestTimeoutMs: 10_000 },
    });
    resolve = (repository) => (repository.kind === "github" ? { host, repository: { host: "github", fullName: repository.location, installationId: repository.hostInstallationId! } } : null);
  });
  afterAll(async () => {
    await fake?.close();
    await t?.drop();
  });

  it("shows the escalation on the pull request: the review's check with its annotation, the gate action_required, one sticky comment", async () => {
    const { runId, number, headSha } = await reviewedPullRequest();
    for (const job of await jobsOf(runId)) expect(await publishPending(t.db, resolve, job, quiet)).toBe("sent");
    const runs = fake.checkRuns("acme/shop").filter((c) => c.head_sha === headSha);
    const byName = Object.fromEntries(runs.map((c) => [c.name, c]));
    expect(byName[GATE_CHECK]).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(byName["flowgate/review"]).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(byName[GATE_CHECK].details_url).toMatch(/\/escalations\/c[0-9a-z]+$/);
    const comments = fake.comments("acme/shop", number);
    expect(comments).toHaveLength(1);
    expect(comments[0].body).toContain("<!-- flowgate:sticky -->");
    expect(await t.db.codeHostPublication.count({ where: { runId, status: { not: "sent" } } })).toBe(0);
  });

  it("sends a publication again after a crash between sending and marking it, and GitHub still has one check and one comment", async () => {
    const { runId, number, headSha } = await reviewedPullRequest();
    const jobs = await jobsOf(runId);
    for (const job of jobs) await publishPending(t.db, resolve, job, quiet);
    // The runner died after GitHub answered and before the row was marked: the queue runs the job again.
    await t.db.codeHostPublication.updateMany({ where: { runId }, data: { status: "pending", sentAt: null } });
    for (const job of jobs) await publishPending(t.db, resolve, job, quiet);
    const names = fake.checkRuns("acme/shop").filter((c) => c.head_sha === headSha).map((c) => c.name).sort();
    expect(names).toEqual([GATE_CHECK, "flowgate/review"]);
    expect(fake.comments("acme/shop", number)).toHaveLength(1);
  });

  it("posts nothing while rate-limited: the publication stays pending with the reason, for the queue to retry", async () => {
    const { runId, headSha } = await reviewedPullRequest();
    fake.inject({ path: /\/check-runs/, status: 403, headers: { "retry-after": "60" }, body: { message: "You have exceeded a secondary rate limit." }, times: 100 });
    const gate: PublishJobPayload = { runId, kind: "check", name: GATE_CHECK };
    await expect(publishPending(t.db, resolve, gate, quiet)).rejects.toBeInstanceOf(CodeHostRateLimited);
    expect(fake.checkRuns("acme/shop").filter((c) => c.head_sha === headSha)).toEqual([]);
    const row = await t.db.codeHostPublication.findFirstOrThrow({ where: { runId, name: GATE_CHECK } });
    expect(row).toMatchObject({ status: "pending", attempts: 1, error: expect.stringMatching(/rate limit/i) });
  });

  it("merges the promoted pull request (deploy-then-merge), and says why when GitHub will not", async () => {
    const merged = await reviewedPullRequest();
    await t.db.$transaction((tx) => queuePublications(tx, merged.runId, [{ kind: "merge", headSha: merged.headSha, method: "squash" }]));
    expect(await publishPending(t.db, resolve, { runId: merged.runId, kind: "merge", name: "merge" }, quiet)).toBe("sent");
    expect(fake.pull("acme/shop", merged.number)).toMatchObject({ merged: true, state: "closed" });
    expect((await t.db.pullRequest.findFirstOrThrow({ where: { number: merged.number } })).mergedAt).toBeInstanceOf(Date);

    // The head moved on GitHub after the canary: GitHub refuses (409), the pull request stays open.
    const moved = await reviewedPullRequest();
    await t.db.$transaction((tx) => queuePublications(tx, moved.runId, [{ kind: "merge", headSha: "9".repeat(40), method: "squash" }]));
    await publishPending(t.db, resolve, { runId: moved.runId, kind: "merge", name: "merge" }, quiet);
    expect(fake.pull("acme/shop", moved.number)).toMatchObject({ merged: false, state: "open" });
    expect(await t.db.codeHostPublication.findFirstOrThrow({ where: { runId: moved.runId, kind: "merge" } })).toMatchObject({ status: "failed", error: expect.stringMatching(/modified/) });
    const comment = await t.db.codeHostPublication.findFirstOrThrow({ where: { runId: moved.runId, kind: "comment" }, orderBy: { createdAt: "desc" } });
    expect((comment.payload as { body: string }).body).toContain("could not be merged");
  });
});
