import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StageAgent } from "@/agents/engine/stage-agent";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { CANARY_ENVIRONMENT, PRODUCTION_ENVIRONMENT } from "@/lib/code-host/publish/queue-outcome";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { log } from "@/lib/log";
import type { Stage } from "@/lib/pipeline/stages";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { updateRepositorySettings } from "@/lib/repositories/update-repository-settings";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { codeHostPipeline, driveRun } from "../support/drive-run";
import { FLOW_INSTALLATION, FLOW_REPOSITORY, githubExample, sh, startGitHubFlow, type GitHubFlow } from "../support/github-flow";

// Deploy-then-merge on (fake) GitHub, end to end without a browser: a pull request opened by
// webhook runs every stage with the real review, staging, validation and canary agents (simulated
// target, compressed clock), and then Flowgate merges it: the default branch equals production.
// A head whose base moved is not deployed: the branch is brought up to date and re-validated. A
// rollback leaves the pull request open with its incident report.

const quiet = log.child({ test: "github-deploy-then-merge" });
const PROFILE = ".flowgate/performance-profile.json";

describe("deploy-then-merge on GitHub", () => {
  let t: TestDatabase;
  let flow: GitHubFlow;
  let agents: Record<Stage, StageAgent>;

  /** Runs the run's stages as runners would, until it stops moving, and sends what the pull request should show. */
  async function drive(runId: string) {
    await driveRun(t.db, { runId, agents, log: quiet });
    await flow.publishAll(runId);
    return t.db.pipelineRun.findUniqueOrThrow({ where: { id: runId }, include: { stageRuns: { orderBy: { queuedAt: "asc" } }, pullRequest: true } });
  }

  /** Opens pull request `number` with one file on the base's tip; returns its run. */
  async function open(number: number, file: string, content: string) {
    const headSha = flow.pushHead(number, file, content);
    flow.fake.addPullRequest(FLOW_REPOSITORY, { number, headSha, createdAt: "2026-12-04T09:00:00Z", commits: [{ sha: headSha, authorDate: "2026-12-03T15:00:00Z" }] });
    const delivery = await flow.deliver("pull_request", flow.pullRequestPayload("opened", number, headSha));
    expect(delivery.outcome).toMatch(/^started run/);
    return t.db.pipelineRun.findFirstOrThrow({ where: { headSha, pullRequest: { number } } });
  }

  const deploymentsOn = (sha: string) =>
    Object.fromEntries(flow.fake.deployments(FLOW_REPOSITORY).filter((d) => d.sha === sha).map((d) => [d.environment, d.statuses.map((s: { state: string }) => s.state)]));

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_SECRET ??= "github-deploy-test-secret-0123456789abcdef";
    flow = await startGitHubFlow(t.db, { name: "github-deploy-then-merge" });
    // A neutral performance profile on the base: the simulated service behaves like the baseline.
    flow.pushBase(PROFILE, "{}\n");
    const installation = githubExample("installation", "created");
    installation.installation.id = FLOW_INSTALLATION;
    installation.repositories = [{ id: 1, node_id: "x", name: "shop", full_name: FLOW_REPOSITORY, private: true }];
    await flow.deliver("installation", installation);
    agents = await codeHostPipeline(t.db, { repository: FLOW_REPOSITORY, resolveHost: flow.resolveHost });
  });
  afterAll(async () => {
    await flow?.close();
    await t?.drop();
  });

  it("deploys the pull request's head, promotes the canary, records GitHub deployments and merges it", async () => {
    const run = await open(9, "docs/reports.md", "# Reports\n\nHow to read the monthly report.\n");
    const finished = await drive(run.id);
    expect(finished.stageRuns.map((s) => [s.stage, s.status])).toEqual([
      ["review", "passed"],
      ["test", "passed"],
      ["staging", "passed"],
      ["validation", "passed"],
      ["deployment", "passed"],
    ]);
    expect(finished.status).toBe("done");
    const checks = flow.checksOn(run.headSha);
    expect(checks[GATE_CHECK]).toMatchObject({ status: "completed", conclusion: "success" });
    for (const stage of ["review", "test", "staging", "validation", "deployment"]) expect(checks[`flowgate/${stage}`]).toMatchObject({ conclusion: "success" });
    expect(deploymentsOn(run.headSha)).toEqual({ [CANARY_ENVIRONMENT]: expect.arrayContaining(["success"]), [PRODUCTION_ENVIRONMENT]: ["success"] });
    const production = flow.fake.deployments(FLOW_REPOSITORY).find((d) => d.environment === PRODUCTION_ENVIRONMENT);
    expect(production).toMatchObject({ sha: run.headSha, production_environment: true, payload: { flowgate: expect.any(String) } });
    // Merged by Flowgate with the repository's method (squash by default), at the promoted head.
    expect(flow.fake.pull(FLOW_REPOSITORY, 9)).toMatchObject({ state: "closed", merged: true });
    const merge = flow.fake.requests.find((r) => r.method === "PUT" && r.path.endsWith("/pulls/9/merge"));
    expect(merge?.body).toMatchObject({ sha: run.headSha, merge_method: "squash" });
    expect(finished.pullRequest.mergedAt).not.toBeNull();
    expect(flow.fake.comments(FLOW_REPOSITORY, 9)).toHaveLength(1);
    expect(flow.fake.comments(FLOW_REPOSITORY, 9)[0].body).toContain("passed; every stage is done");

    // Resending (a publish job retried after a crash) adds a status, never a second deployment.
    const before = flow.fake.deployments(FLOW_REPOSITORY).length;
    await t.db.codeHostPublication.updateMany({ where: { runId: run.id, kind: "deployment" }, data: { status: "pending" } });
    await flow.publishAll(run.id);
    expect(flow.fake.deployments(FLOW_REPOSITORY)).toHaveLength(before);
  });

  it("does not deploy a head whose base moved: the branch is brought up to date and the new head is validated again", async () => {
    const run = await open(10, "docs/limits.md", "# Limits\n");
    // The base moves on while the change is in the pipeline (another pull request merged).
    const moved = flow.pushBase("docs/changelog.md", "- faster reports\n");
    const finished = await drive(run.id);
    expect(finished.status).toBe("cancelled");
    expect(finished.stageRuns.at(-1)).toMatchObject({ stage: "deployment", status: "cancelled" });
    expect(finished.stageRuns.at(-1)?.summary).toMatch(/^The base branch main has 1 commit this head does not contain: the branch is being brought up to date/);
    expect(await t.db.deployment.count({ where: { runId: run.id, environment: "production" } })).toBe(0);
    expect(flow.fake.branchUpdates(FLOW_REPOSITORY)).toEqual([10]);
    expect(flow.checksOn(run.headSha)[GATE_CHECK]).toMatchObject({ conclusion: "cancelled" });
    expect(flow.fake.pull(FLOW_REPOSITORY, 10).merged).toBe(false);

    // GitHub merges the base into the head branch and says so with a synchronize event.
    sh(flow.work, "checkout", "-q", `pr-10`);
    sh(flow.work, "merge", "-q", "--no-edit", moved);
    sh(flow.work, "push", "-q", "-f", flow.upstream, "HEAD:refs/pull/10/head");
    const updated = sh(flow.work, "rev-parse", "HEAD");
    flow.fake.pull(FLOW_REPOSITORY, 10).head.sha = updated;
    await flow.deliver("pull_request", flow.pullRequestPayload("synchronize", 10, updated));
    const rerun = await t.db.pipelineRun.findFirstOrThrow({ where: { headSha: updated, pullRequest: { number: 10 } } });
    expect(await drive(rerun.id)).toMatchObject({ status: "done" });
    expect(flow.fake.pull(FLOW_REPOSITORY, 10)).toMatchObject({ merged: true });
  });

  it("fails the run, saying how to fix it, when the branch cannot be brought up to date", async () => {
    const run = await open(11, "docs/faq.md", "# FAQ\n");
    flow.pushBase("docs/faq.md", "# Questions\n");
    flow.fake.inject({ method: "PUT", path: `/repos/${FLOW_REPOSITORY}/pulls/11/update-branch`, status: 422, body: { message: "merge conflict between base and head", documentation_url: "https://docs.github.com/rest" } });
    const finished = await drive(run.id);
    expect(finished.status).toBe("failed");
    expect(finished.stageRuns.at(-1)?.summary).toContain("could not be brought up to date (merge conflict between base and head): merge or rebase onto main");
    expect(flow.checksOn(run.headSha)[GATE_CHECK]).toMatchObject({ conclusion: "failure" });
    expect(flow.fake.pull(FLOW_REPOSITORY, 11).merged).toBe(false);
  });

  it("leaves a rolled-back pull request open, with the incident report in its comment", async () => {
    // A change that is fine on staging and fails under production traffic: what a canary is for.
    const run = await open(12, PROFILE, JSON.stringify({ production: { extraErrorRate: 8 } }));
    const finished = await drive(run.id);
    expect(finished.status).toBe("rolled_back");
    expect(flow.fake.pull(FLOW_REPOSITORY, 12)).toMatchObject({ state: "open", merged: false });
    expect(flow.checksOn(run.headSha)[GATE_CHECK]).toMatchObject({ conclusion: "failure" });
    expect(deploymentsOn(run.headSha)).toEqual({ [CANARY_ENVIRONMENT]: expect.arrayContaining(["failure"]) });
    const [comment] = flow.fake.comments(FLOW_REPOSITORY, 12);
    expect(comment.body).toContain("Incident report");
    expect(comment.body).toContain("**Hypothesis**");
  });

  it("gate only: the pull request's head is checked but not deployed; people merge it, and its merge commit is deployed", async () => {
    const repository = await t.db.repository.findUniqueOrThrow({ where: { name: FLOW_REPOSITORY } });
    const actor = { type: "system", id: "test", label: "test" } as const;
    await updateRepositorySettings(t.db, { repositoryId: repository.id, input: { merge: { mode: "gate_only", method: "merge" } }, actor });
    try {
      const run = await open(13, "docs/glossary.md", "# Glossary\n");
      const checked = await drive(run.id);
      expect(checked.status).toBe("done");
      expect(checked.stageRuns.at(-1)?.summary).toMatch(/^Not deployed from the pull request \(gate only\)/);
      expect(await t.db.deployment.count({ where: { runId: run.id, environment: "production" } })).toBe(0);
      expect(flow.checksOn(run.headSha)[GATE_CHECK]).toMatchObject({ conclusion: "success" });
      expect(flow.fake.pull(FLOW_REPOSITORY, 13).merged).toBe(false);
      expect(deploymentsOn(run.headSha)).toEqual({});

      // A person merges it on GitHub (a merge commit on main), and GitHub says so.
      sh(flow.work, "fetch", "-q", flow.upstream, "+refs/heads/main:refs/remotes/upstream/main");
      sh(flow.work, "checkout", "-q", "-B", "main", "upstream/main");
      sh(flow.work, "merge", "-q", "--no-ff", "--no-edit", run.headSha);
      sh(flow.work, "push", "-q", flow.upstream, "HEAD:refs/heads/main");
      const mergeSha = sh(flow.work, "rev-parse", "HEAD");
      const merged = await flow.deliver("pull_request", flow.pullRequestPayload("closed", 13, run.headSha, { state: "closed", merged: true, merged_at: "2026-12-05T12:00:00Z", closed_at: "2026-12-05T12:00:00Z", merge_commit_sha: mergeSha }));
      expect(merged.outcome).toMatch(new RegExp(`^#13 merged at 2026-12-05T12:00:00.000Z; deploying its merge commit ${mergeSha.slice(0, 12)} as run c`));
      const deploy = await t.db.pipelineRun.findFirstOrThrow({ where: { headSha: mergeSha }, include: { diff: true } });
      expect(deploy).toMatchObject({ afterMerge: true, currentStage: "deployment" });
      expect(deploy.diff?.text).toContain("+++ b/docs/glossary.md");
      const deployed = await drive(deploy.id);
      expect(deployed.stageRuns.map((s) => [s.stage, s.status])).toEqual([["deployment", "passed"]]);
      expect(deploymentsOn(mergeSha)).toEqual({ [CANARY_ENVIRONMENT]: expect.arrayContaining(["success"]), [PRODUCTION_ENVIRONMENT]: ["success"] });
      expect(flow.checksOn(mergeSha)[GATE_CHECK]).toMatchObject({ conclusion: "success" });
      // Flowgate merged nothing itself.
      expect(flow.fake.requests.some((r) => r.method === "PUT" && r.path.endsWith("/pulls/13/merge"))).toBe(false);
    } finally {
      await updateRepositorySettings(t.db, { repositoryId: repository.id, input: { merge: null }, actor });
    }
  });

  it("runs the pipeline again for the pull request's head when a person asks GitHub to re-run a Flowgate check", async () => {
    const first = await t.db.pipelineRun.findFirstOrThrow({ where: { pullRequest: { number: 12 } } });
    const rerequest = (headSha: string) => {
      const payload = githubExample("check_run", "rerequested");
      payload.installation = { id: FLOW_INSTALLATION };
      payload.repository.full_name = FLOW_REPOSITORY;
      Object.assign(payload.check_run, { name: GATE_CHECK, head_sha: headSha, pull_requests: [{ number: 12 }] });
      return flow.deliver("check_run", payload);
    };
    const delivery = await rerequest(first.headSha);
    expect(delivery.outcome).toMatch(/^re-running #12 at [0-9a-f]{12} as run c/);
    const again = await t.db.pipelineRun.findFirstOrThrow({ where: { headSha: first.headSha, rerun: 1 } });
    expect(again).toMatchObject({ status: "queued", currentStage: "review" });
    // While that run is active, another re-run request changes nothing.
    expect((await rerequest(first.headSha)).outcome).toMatch(/is still queued: no re-run$/);
    expect(await t.db.pipelineRun.count({ where: { headSha: first.headSha } })).toBe(2);
    // A commit that is no longer any pull request's head, or that Flowgate never ran, is not re-run.
    expect((await rerequest("0".repeat(40))).outcome).toBe(`re-run of ${GATE_CHECK} at 000000000000: Flowgate never ran this commit`);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
