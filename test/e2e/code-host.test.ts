import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { signGithubPayload } from "@/lib/code-host/github/webhook-signature";
import { CANARY_ENVIRONMENT, PRODUCTION_ENVIRONMENT } from "@/lib/code-host/publish/queue-outcome";
import { GATE_CHECK } from "@/lib/code-host/publish/stage-checks";
import { createDemoRepository, demoBranches, demoDeploySettings, demoTestSettings } from "@/scripts/lib/demo-repository";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";
import { startFakeGitHubApi, type FakeGitHubApi } from "../support/fake-github";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http-server";
import { githubExample } from "../support/github-flow";

// Flowgate on (fake) GitHub, the whole way, through the running server and runners (`npm start`)
// and Chromium: the App connected by configuration, its installation registering the repository,
// a pull request opened by a signed webhook, the review escalating it, a reviewer approving it in
// the inbox, the gate on GitHub flipping, the sandboxed tests, staging, validation and the canary,
// and Flowgate merging the promoted head, with GitHub deployments recorded and one comment.

const APP_ID = 6262;
const INSTALLATION = 88;
const SECRET = "e2e-webhook-secret-0123456789abcdef";
const REPOSITORY = "acme/shop";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } });
const sh = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "kim", GIT_AUTHOR_EMAIL: "kim@demo-shop.dev", GIT_COMMITTER_NAME: "kim", GIT_COMMITTER_EMAIL: "kim@demo-shop.dev" } }).trim();

/** GitHub serves its API and git on one origin; so does this front to the fake API and the git server. */
async function startGitHubFront(api: string, git: string) {
  const server = http.createServer((req, res) => {
    const target = new URL(/^\/[^/]+\/[^/]+\.git\//.test(req.url ?? "") ? git : api);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("a GitHub pull request through the running Flowgate, in Chromium", () => {
  let fake: FakeGitHubApi;
  let git: GitHttpServer;
  let front: Awaited<ReturnType<typeof startGitHubFront>>;
  let scratch: string;
  let headSha = "";

  const session = useFlowgateInChromium(async () => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-e2e-github-"));
    // The demo repository's history, on GitHub: its main, and a pull request adding report
    // expressions (eval, tested) with a neutral performance profile.
    const demo = path.join(scratch, "demo");
    await createDemoRepository(demo);
    const upstream = path.join(scratch, "upstream", `${REPOSITORY}.git`);
    fs.mkdirSync(path.dirname(upstream), { recursive: true });
    sh(scratch, "init", "-q", "--bare", upstream);
    sh(demo, "push", "-q", upstream, "main");
    sh(demo, "checkout", "-q", "-b", "reports", "main");
    const branch = demoBranches.find((b) => b.name === "feature/report-expressions")!;
    for (const [file, content] of Object.entries({ ...branch.files, ".flowgate/performance-profile.json": "{}\n" })) {
      fs.mkdirSync(path.dirname(path.join(demo, file)), { recursive: true });
      fs.writeFileSync(path.join(demo, file), content);
    }
    sh(demo, "add", "-A");
    sh(demo, "commit", "-q", "-m", branch.title);
    headSha = sh(demo, "rev-parse", "HEAD");
    sh(demo, "push", "-q", upstream, "HEAD:refs/pull/7/head");

    fake = await startFakeGitHubApi({ appId: APP_ID, publicKey: keys.publicKey, installations: { [String(INSTALLATION)]: [REPOSITORY] }, gitDirs: { [REPOSITORY]: upstream } });
    git = await startGitHttpServer({ projectRoot: path.join(scratch, "upstream"), tokens: [], accepts: (token) => fake.tokens.some((issued) => issued.token === token && !issued.revoked) });
    front = await startGitHubFront(fake.url, git.url);
    return { env: { GITHUB_APP_ID: String(APP_ID), GITHUB_APP_PRIVATE_KEY: keys.privateKey, GITHUB_WEBHOOK_SECRET: SECRET, FLOWGATE_GITHUB_API_URL: front.url } };
  });
  afterAll(async () => {
    await front?.close();
    await git?.close();
    await fake?.close();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  /** A signed delivery to the running server, as GitHub sends it. */
  async function deliver(event: string, payload: unknown) {
    const body = JSON.stringify(payload);
    const response = await fetch(`${session.app.url}/api/v1/hooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-delivery": randomUUID(), "x-github-event": event, "x-hub-signature-256": signGithubPayload(body, SECRET) },
      body,
    });
    expect(response.status).toBe(202);
  }
  const checksOnHead = () => Object.fromEntries(fake.checkRuns(REPOSITORY).filter((c) => c.head_sha === headSha).map((c) => [c.name, c]));

  it("registers the installation's repository, shown in Settings → Code host", async () => {
    const installation = githubExample("installation", "created");
    installation.installation.id = INSTALLATION;
    installation.repositories = [{ id: 1, node_id: "R_1", name: "shop", full_name: REPOSITORY, private: true }];
    await deliver("installation", installation);

    const page = await session.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signInAs(page, session.app.url, "admin@flowgate.local", { callbackUrl: "/settings" });
    await page.waitForURL(/\/settings/);
    // The section refreshes itself: the App is configured, the delivery processed, the repository listed.
    expect(await page.getByTestId("code-host-github").innerText()).toContain("configured");
    await expect.poll(() => page.getByTestId("code-host-repository").allInnerTexts(), { timeout: 60_000 }).toEqual([expect.stringContaining(REPOSITORY)]);
    await expect.poll(() => page.locator('[data-testid="code-host-delivery"][data-status="processed"]').count(), { timeout: 30_000 }).toBe(1);

    // The repository runs the demo's test preset, and its canary on a compressed clock.
    const { repositories } = (await (await page.request.get(`${session.app.url}/api/v1/repositories`)).json()) as { repositories: { id: string; name: string }[] };
    const repository = repositories.find((r) => r.name === REPOSITORY)!;
    const patched = await page.request.patch(`${session.app.url}/api/v1/repositories/${repository.id}`, { data: { test: demoTestSettings, deploy: demoDeploySettings } });
    expect(patched.status()).toBe(200);
    await page.screenshot({ path: path.join(artifactsDir, "settings-code-host.png"), fullPage: true });
    await page.close();
  });

  it("opens a run from the pull request; an approval in the inbox flips the gate; the promoted canary merges the pull request", async () => {
    fake.addPullRequest(REPOSITORY, { number: 7, headSha, title: "Configurable report expressions", createdAt: "2026-12-04T09:00:00Z", commits: [{ sha: headSha, authorDate: "2026-12-03T16:00:00Z" }] });
    const opened = githubExample("pull_request", "opened");
    opened.number = 7;
    opened.installation = { id: INSTALLATION };
    opened.repository.full_name = REPOSITORY;
    Object.assign(opened.pull_request, { number: 7, title: "Configurable report expressions", body: "Report expressions for finance.", draft: false, created_at: "2026-12-04T09:00:00Z" });
    opened.pull_request.user.login = "kim";
    opened.pull_request.head.sha = headSha;
    opened.pull_request.head.repo.full_name = REPOSITORY;
    opened.pull_request.base.ref = "main";
    opened.pull_request.base.repo.full_name = REPOSITORY;
    await deliver("pull_request", opened);

    // The review escalates (eval): on GitHub the gate asks for a person and links the inbox.
    await expect.poll(() => checksOnHead()[GATE_CHECK]?.conclusion ?? null, { timeout: 120_000, interval: 500 }).toBe("action_required");
    expect(checksOnHead()["flowgate/review"].output.annotations_count).toBeGreaterThan(0);
    const inboxUrl = checksOnHead()[GATE_CHECK].details_url as string;
    expect(inboxUrl).toMatch(/\/escalations\/c[0-9a-z]+$/);

    const page = await session.browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signInAs(page, session.app.url, "reviewer@flowgate.local", { callbackUrl: new URL(inboxUrl).pathname });
    await page.waitForURL(/\/escalations\//);
    expect(await page.locator("h1").innerText()).toContain("Configurable report expressions");
    await page.getByRole("radio", { name: "Approve" }).click();
    await page.locator("textarea[name=rationale]").fill("The expressions come from finance's own report definitions, not from users.");
    await page.keyboard.press("Control+Enter");
    await expect.poll(() => page.getByTestId("escalation-status").innerText(), { timeout: 15_000 }).toBe("approved");

    // GitHub shows who approved, and the pipeline goes on to the end: tests in the sandbox,
    // staging, validation, the canary, and the merge.
    await expect.poll(() => checksOnHead()["flowgate/review"]?.conclusion ?? null, { timeout: 30_000, interval: 500 }).toBe("success");
    await expect.poll(() => fake.pull(REPOSITORY, 7).merged, { timeout: 300_000, interval: 1000 }).toBe(true);
    const checks = checksOnHead();
    expect(checks[GATE_CHECK]).toMatchObject({ status: "completed", conclusion: "success" });
    for (const stage of ["test", "staging", "validation", "deployment"]) expect(checks[`flowgate/${stage}`]).toMatchObject({ conclusion: "success" });
    const merge = fake.requests.find((r) => r.method === "PUT" && r.path.endsWith("/pulls/7/merge"));
    expect(merge?.body).toMatchObject({ sha: headSha, merge_method: "squash" });
    await expect.poll(() => fake.deployments(REPOSITORY).map((d) => d.environment).sort(), { timeout: 30_000 }).toEqual([PRODUCTION_ENVIRONMENT, CANARY_ENVIRONMENT].sort());
    await expect.poll(() => fake.comments(REPOSITORY, 7).map((c) => c.body as string), { timeout: 30_000 }).toEqual([expect.stringContaining("every stage is done")]);

    // The run page tells the same story.
    await page.goto(checks[GATE_CHECK].details_url as string);
    await expect.poll(() => page.locator("body").innerText(), { timeout: 15_000 }).toContain("Configurable report expressions");
    await page.screenshot({ path: path.join(artifactsDir, "github-run.png"), fullPage: true });
    await page.close();
  }, 480_000);
});
