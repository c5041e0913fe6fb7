import { execFileSync } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandTarget } from "@/agents/targets/command-target";
import { deploySettingsSchema, type CommandTargetSettings } from "@/lib/repositories/deploy-settings";
import { derivedProfile, DERIVED_SLOWER_SHARE, neutralProfile, profileForRun, profileIn } from "@/agents/targets/profile";
import { createDeployTarget, createMetricSource, deploySettingsOf, runSmokeChecks } from "@/agents/targets/select";
import { createSimulatedTarget } from "@/agents/targets/simulated-target";
import type { DeployContext } from "@/agents/targets/types";
import { createWebhookTarget, type WebhookDeployBody } from "@/agents/targets/webhook-target";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-deploy-targets-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ctx: DeployContext = {
  runId: "run-7f3a",
  repository: "demo-shop",
  pullRequestNumber: 42,
  headSha: "0123456789abcdef0123456789abcdef01234567",
  environment: "production",
  variables: { imageTag: "registry.local/shop:0123456", namespace: "shop" },
  profile: neutralProfile,
  seed: 7,
};

const commandSettings = (overrides: Partial<CommandTargetSettings> = {}): CommandTargetSettings => ({
  kind: "command",
  deployCommand: "true",
  setWeightCommand: null,
  promoteCommand: null,
  rollbackCommand: null,
  timeLimitSeconds: 30,
  memoryLimitMb: 512,
  ...overrides,
});

/** Running, as opposed to gone or a zombie waiting for a parent (PID 1 in a container may never reap it). */
const isRunning = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

/** A server on 127.0.0.1 answering with `respond`, keeping what it received. */
async function startReceiver(respond: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void) {
  const received: { headers: http.IncomingHttpHeaders; body: string; url: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      received.push({ headers: req.headers, body, url: req.url ?? "" });
      respond(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("the command target", () => {
  it("runs each step's command with the run's variables in the environment and captures the output", async () => {
    const show = 'echo "run=$FLOWGATE_RUN_ID repo=$FLOWGATE_REPOSITORY pr=$FLOWGATE_PR_NUMBER sha=$FLOWGATE_HEAD_SHA env=$FLOWGATE_ENVIRONMENT step=$FLOWGATE_STEP weight=$FLOWGATE_WEIGHT image=$FLOWGATE_IMAGE_TAG ns=$FLOWGATE_NAMESPACE"';
    const target = createCommandTarget(commandSettings({ deployCommand: show, setWeightCommand: show, promoteCommand: show, rollbackCommand: `${show}; echo "reason=$FLOWGATE_ROLLBACK_REASON" >&2` }));
    const fixed = `run=run-7f3a repo=demo-shop pr=42 sha=${ctx.headSha} env=production`;
    const variables = "image=registry.local/shop:0123456 ns=shop";

    const deployed = await target.deploy(ctx);
    expect(deployed).toMatchObject({ ok: true, summary: expect.stringMatching(/^deploy command succeeded in \d+\.\d s$/) });
    expect(deployed.output).toContain(`${fixed} step=deploy weight=0 ${variables}`);
    expect((await target.setWeight(ctx, 5)).output).toContain(`${fixed} step=set_weight weight=5 ${variables}`);
    expect((await target.promote(ctx)).output).toContain(`${fixed} step=promote weight=100 ${variables}`);
    const rolledBack = await target.rollback(ctx, "p99 latency 912 ms > 800 ms");
    expect(rolledBack.output).toContain(`${fixed} step=rollback weight=0 ${variables}`);
    expect(rolledBack.output).toContain("reason=p99 latency 912 ms > 800 ms");
    // Staging deploys the candidate whole.
    expect((await target.deploy({ ...ctx, environment: "staging" })).output).toContain("env=staging step=deploy weight=100");
  });

  it("runs in a private directory of its own, never in a pull request's checkout, and removes it", async () => {
    const target = createCommandTarget(commandSettings({ setWeightCommand: "pwd; ls -A; touch left-behind" }));
    const result = await target.setWeight(ctx, 25);
    expect(result.ok).toBe(true);
    const [cwd, listing] = result.output!.split("\n");
    expect(cwd).toMatch(/flowgate-deploy-/);
    expect(listing ?? "").toBe("");
    expect(fs.existsSync(cwd)).toBe(false);
  });

  it("lets no variable stand in for the run's own facts, and passes none of Flowgate's secrets", async () => {
    process.env.FLOWGATE_DEPLOY_TEST_SECRET = "must-not-leak";
    try {
      const target = createCommandTarget(commandSettings({ deployCommand: "env" }));
      const result = await target.deploy({ ...ctx, variables: { headSha: "f".repeat(40), FLOWGATE_ENVIRONMENT: "staging", "rollout.name": "shop", FLOWGATE_BASE_SHA: "b".repeat(40) } });
      expect(result.output).toContain(`FLOWGATE_HEAD_SHA=${ctx.headSha}`);
      expect(result.output).toContain("FLOWGATE_ENVIRONMENT=production");
      expect(result.output).toContain("FLOWGATE_ROLLOUT_NAME=shop");
      expect(result.output).toContain(`FLOWGATE_BASE_SHA=${"b".repeat(40)}`);
      expect(result.output).not.toContain("FLOWGATE_FLOWGATE_");
      expect(result.output).not.toContain("must-not-leak");
      expect(result.output).not.toContain("DATABASE_URL");
    } finally {
      delete process.env.FLOWGATE_DEPLOY_TEST_SECRET;
    }
  });

  it("fails a step whose command fails, keeping what it printed", async () => {
    const target = createCommandTarget(commandSettings({ deployCommand: "echo 'error: rollout shop not found' >&2; exit 3" }));
    const result = await target.deploy(ctx);
    expect(result).toMatchObject({ ok: false, summary: expect.stringMatching(/^deploy command failed with exit code 3 after/) });
    expect(result.output).toContain("error: rollout shop not found");
  });

  it("kills a command at the time limit, with everything it started", async () => {
    const pidFile = path.join(tmp, "background.pid");
    const target = createCommandTarget(commandSettings({ timeLimitSeconds: 1, deployCommand: `echo started; sleep 30 & echo $! > ${pidFile}; wait` }));
    const started = Date.now();
    const result = await target.deploy(ctx);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("was killed after the time limit") });
    expect(result.output).toContain("started");
    expect(result.output).toContain("killed after the time limit of 1 s");
    const background = Number(fs.readFileSync(pidFile, "utf8"));
    expect(isRunning(background)).toBe(false);
  });

  it("refuses a step it has no command for", async () => {
    const result = await createCommandTarget(commandSettings()).promote({ ...ctx, environment: "staging" });
    expect(result).toEqual({ ok: false, summary: "no promote command is configured for staging", durationMs: 0 });
  });
});

describe("the webhook target", () => {
  const secret = "whsec-0123456789abcdef";
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let answer: { status: number; body: string } = { status: 200, body: '{"accepted":true}' };

  beforeAll(async () => {
    receiver = await startReceiver((req, _body, res) => {
      if (req.url === "/slow") return; // never answers
      if (req.url === "/moved") {
        res.writeHead(302, { location: "/elsewhere" }).end();
        return;
      }
      res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body);
    });
  });
  afterAll(() => receiver.close());

  const verify = (headers: http.IncomingHttpHeaders, body: string) => {
    const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(body).digest("hex")}`);
    const sent = Buffer.from(String(headers["x-flowgate-signature"]));
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  };

  it("posts a signed event for each step and proceeds on 2xx", async () => {
    answer = { status: 202, body: '{"accepted":true}' };
    const target = createWebhookTarget({ kind: "webhook", url: `${receiver.url}/deploy`, secret, timeoutSeconds: 5 });
    const before = receiver.received.length;
    const results = [await target.deploy(ctx), await target.setWeight(ctx, 5), await target.promote(ctx), await target.rollback(ctx, "error rate 2.1% > 0.5%")];
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(results[0]).toMatchObject({ summary: "deploy webhook answered HTTP 202", output: '{"accepted":true}' });

    const sent = receiver.received.slice(before);
    expect(sent).toHaveLength(4);
    for (const request of sent) {
      expect(request.headers["content-type"]).toBe("application/json");
      expect(verify(request.headers, request.body)).toBe(true);
    }
    const events = sent.map((r) => JSON.parse(r.body) as WebhookDeployBody);
    expect(events.map((e) => [e.event, e.weight, e.reason])).toEqual([
      ["deploy", 0, null],
      ["set_weight", 5, null],
      ["promote", 100, null],
      ["rollback", 0, "error rate 2.1% > 0.5%"],
    ]);
    expect(events[1]).toMatchObject({
      run: { id: "run-7f3a", repository: "demo-shop", pullRequestNumber: 42, headSha: ctx.headSha, variables: ctx.variables },
      environment: "production",
    });
    expect(Date.now() - Date.parse(events[1].sentAt)).toBeLessThan(60_000);
    expect(sent[1].headers["x-flowgate-event"]).toBe("deploy.set_weight");
  });

  it("a signature made with another secret does not verify", async () => {
    const target = createWebhookTarget({ kind: "webhook", url: `${receiver.url}/deploy`, secret: "another-secret-0123456789", timeoutSeconds: 5 });
    await target.deploy(ctx);
    const last = receiver.received.at(-1)!;
    expect(verify(last.headers, last.body)).toBe(false);
  });

  it("stops on a non-2xx answer with its status and the first 500 characters of the body", async () => {
    answer = { status: 503, body: `rollout is paused: ${"x".repeat(1000)}` };
    const result = await createWebhookTarget({ kind: "webhook", url: `${receiver.url}/deploy`, secret, timeoutSeconds: 5 }).setWeight(ctx, 25);
    expect(result.ok).toBe(false);
    expect(result.summary).toMatch(/^set_weight webhook answered HTTP 503: rollout is paused: x+$/);
    expect(result.output).toHaveLength(500);
  });

  it("treats a redirect, a timeout and a refused connection as failures", async () => {
    const moved = await createWebhookTarget({ kind: "webhook", url: `${receiver.url}/moved`, secret, timeoutSeconds: 5 }).promote(ctx);
    expect(moved).toMatchObject({ ok: false, summary: expect.stringContaining("HTTP 302") });

    const slow = await createWebhookTarget({ kind: "webhook", url: `${receiver.url}/slow`, secret, timeoutSeconds: 1 }).promote(ctx);
    expect(slow).toMatchObject({ ok: false, summary: "promote webhook failed: no answer within 1 s" });

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone?token=t0p-s3cret`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await createWebhookTarget({ kind: "webhook", url: deadUrl, secret, timeoutSeconds: 5 }).deploy(ctx);
    expect(refused).toMatchObject({ ok: false, summary: expect.stringContaining("ECONNREFUSED") });
    expect(refused.summary).not.toContain("t0p-s3cret");
  });
});

describe("smoke checks", () => {
  let service: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    service = await startReceiver((req, _body, res) => {
      if (req.url === "/health") res.writeHead(200).end('{"status":"ok"}');
      else if (req.url === "/pr/42/ready") res.writeHead(200).end("ready");
      else if (req.url === "/broken") res.writeHead(500).end("database unavailable");
      else if (req.url === "/slow") return;
      else res.writeHead(404).end("not found");
    });
  });
  afterAll(() => service.close());

  it("checks status and body over HTTP and runs smoke commands with the run's variables", async () => {
    const target = createCommandTarget(commandSettings());
    const results = await runSmokeChecks(
      [
        { name: "health", url: `${service.url}/health`, bodyIncludes: '"ok"' },
        { name: "per-PR URL", url: `${service.url}/pr/{{pullRequestNumber}}/ready`, expectStatus: 200 },
        { name: "broken", url: `${service.url}/broken` },
        { name: "wrong body", url: `${service.url}/health`, bodyIncludes: "healthy" },
        { name: "expected 404", url: `${service.url}/missing`, expectStatus: 404 },
        { name: "slow", url: `${service.url}/slow`, timeoutSeconds: 1 },
        { name: "command passes", command: 'test "$FLOWGATE_HEAD_SHA" = "0123456789abcdef0123456789abcdef01234567" && echo sha matches' },
        { name: "command fails", command: "echo 'checkout flow: 1 of 3 steps failed'; exit 1" },
      ],
      ctx,
      target,
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ["health", true],
      ["per-PR URL", true],
      ["broken", false],
      ["wrong body", false],
      ["expected 404", true],
      ["slow", false],
      ["command passes", true],
      ["command fails", false],
    ]);
    expect(results[1].detail).toBe(`GET ${service.url}/pr/42/ready returned 200`);
    expect(results[2].detail).toBe(`GET ${service.url}/broken returned 500, expected 200: database unavailable`);
    expect(results[3].detail).toContain('does not include "healthy"');
    expect(results[5].detail).toContain("no answer within 1 s");
    expect(results[6].detail).toContain("sha matches");
    expect(results[7].detail).toMatch(/exit code 1.*1 of 3 steps failed/s);
  });

  it("on the simulated target fails only the check the profile names", async () => {
    const target = createSimulatedTarget();
    const healthy = await runSmokeChecks([], ctx, target);
    expect(healthy.length).toBeGreaterThan(0);
    expect(healthy.every((r) => r.ok)).toBe(true);

    const failing = { ...ctx, profile: { ...neutralProfile, smokeFailure: "GET /health returned 500" } };
    const results = await runSmokeChecks([], failing, target);
    expect(results.filter((r) => !r.ok)).toEqual([{ name: "GET /health", ok: false, detail: "GET /health returned 500 (simulated service)" }]);

    // A failure that names none of the configured checks still fails the stage.
    const other = await runSmokeChecks([{ name: "checkout" }], failing, target);
    expect(other).toEqual([
      { name: "checkout", ok: true, detail: "passed on the simulated service" },
      { name: "GET /health returned 500", ok: false, detail: "GET /health returned 500 (simulated service)" },
    ]);
  });
});

describe("a PR's performance profile", () => {
  const repo = path.join(tmp, "repo");
  const gitIn = (...args: string[]) => execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], { cwd: repo, encoding: "utf8" }).trim();
  const commitWith = (content: string | null, message: string) => {
    const file = path.join(repo, ".flowgate", "performance-profile.json");
    if (content === null) fs.rmSync(file, { force: true });
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    gitIn("add", "-A");
    gitIn("commit", "-q", "--allow-empty", "-m", message);
    return gitIn("rev-parse", "HEAD");
  };
  let withoutProfile: string;
  let slower: string;
  let partial: string;
  let notJson: string;
  let wrongType: string;
  let misspelt: string;
  let productionOnly: string;

  beforeAll(() => {
    fs.mkdirSync(repo);
    gitIn("init", "-q", "-b", "main");
    fs.writeFileSync(path.join(repo, "README.md"), "shop\n");
    withoutProfile = commitWith(null, "initial");
    slower = commitWith(JSON.stringify({ latencyFactor: 1.5, extraErrorRate: 0.8, smokeFailure: null }), "slower");
    partial = commitWith(JSON.stringify({ smokeFailure: "GET /health returned 500" }), "smoke failure only");
    notJson = commitWith("{ latencyFactor: 1.5 ", "not json");
    wrongType = commitWith(JSON.stringify({ latencyFactor: "fast" }), "wrong type");
    misspelt = commitWith(JSON.stringify({ latencyFactr: 2 }), "misspelt");
    productionOnly = commitWith(JSON.stringify({ latencyFactor: 1.1, production: { extraErrorRate: 3 } }), "fails under production traffic");
    // The working tree moves on: the profile must come from the commit, not the checkout.
    commitWith(null, "profile removed later");
  });

  it("reads the file at the head commit", async () => {
    expect(await profileForRun({ repositoryPath: repo, headSha: slower, runId: "r1" })).toEqual({ latencyFactor: 1.5, extraErrorRate: 0.8, smokeFailure: null });
    expect(await profileForRun({ repositoryPath: repo, headSha: partial, runId: "r1" })).toEqual({ latencyFactor: 1, extraErrorRate: 0, smokeFailure: "GET /health returned 500" });
  });

  it("applies production's overrides in production only", async () => {
    const profile = await profileForRun({ repositoryPath: repo, headSha: productionOnly, runId: "r1" });
    expect(profileIn(profile, "staging")).toMatchObject({ latencyFactor: 1.1, extraErrorRate: 0, smokeFailure: null });
    expect(profileIn(profile, "production")).toMatchObject({ latencyFactor: 1.1, extraErrorRate: 3, smokeFailure: null });
  });

  it("derives the profile from the run id when the commit has no file", async () => {
    for (const runId of ["run-a", "run-b", "run-c"]) {
      expect(await profileForRun({ repositoryPath: repo, headSha: withoutProfile, runId })).toEqual(derivedProfile(runId));
    }
  });

  it("refuses a malformed file, naming the problem", async () => {
    await expect(profileForRun({ repositoryPath: repo, headSha: notJson, runId: "r" })).rejects.toThrow(/performance-profile\.json at [0-9a-f]{12} is not valid JSON/);
    await expect(profileForRun({ repositoryPath: repo, headSha: wrongType, runId: "r" })).rejects.toThrow(/malformed: latencyFactor: /);
    await expect(profileForRun({ repositoryPath: repo, headSha: misspelt, runId: "r" })).rejects.toThrow(/latencyFactr/);
  });

  it("fails on a commit the repository does not have", async () => {
    await expect(profileForRun({ repositoryPath: repo, headSha: "f".repeat(40), runId: "r" })).rejects.toThrow();
  });

  it("derives mostly neutral profiles and a small share slightly slower", () => {
    const profiles = Array.from({ length: 2000 }, (_, i) => derivedProfile(`run-${i}`));
    const slowerOnes = profiles.filter((p) => p.latencyFactor !== 1);
    expect(slowerOnes.length / profiles.length).toBeGreaterThan(DERIVED_SLOWER_SHARE * 0.75);
    expect(slowerOnes.length / profiles.length).toBeLessThan(DERIVED_SLOWER_SHARE * 1.25);
    for (const p of slowerOnes) {
      expect(p.latencyFactor).toBeGreaterThanOrEqual(1.1);
      expect(p.latencyFactor).toBeLessThanOrEqual(1.3);
    }
    expect(profiles.every((p) => p.extraErrorRate === 0 && p.smokeFailure === null)).toBe(true);
    expect(derivedProfile("run-5")).toEqual(derivedProfile("run-5"));
  });
});

describe("deploy settings", () => {
  it("default to the simulated target and metric source on both environments", () => {
    const settings = deploySettingsOf({ test: { preset: "node-test" } });
    expect(settings).toMatchObject({
      staging: { target: { kind: "simulated" }, metricSource: { kind: "simulated" }, smokeChecks: [] },
      production: { target: { kind: "simulated" }, metricSource: { kind: "simulated" } },
      adjustmentFactor: 1.3,
      clockScale: 1,
    });
    expect(deploySettingsOf(null)).toEqual(settings);
    expect(createDeployTarget(settings, "production").kind).toBe("simulated");
    expect(createMetricSource(settings, "staging").kind).toBe("simulated");
  });

  it("select the configured target and source", () => {
    const settings = deploySettingsOf({
      deploy: {
        staging: { target: { kind: "webhook", url: "https://deploy.example.com/hook", secret: "0123456789abcdef" }, metricSource: { kind: "prometheus", baseUrl: "http://prometheus:9090" }, smokeChecks: [{ name: "health", url: "https://staging.example.com/health" }] },
        production: {
          target: { kind: "command", deployCommand: "kubectl argo rollouts set image shop shop=$FLOWGATE_IMAGE_TAG", setWeightCommand: "kubectl argo rollouts set weight shop $FLOWGATE_WEIGHT", promoteCommand: "kubectl argo rollouts promote shop", rollbackCommand: "kubectl argo rollouts abort shop" },
          metricSource: { kind: "prometheus", baseUrl: "http://prometheus:9090", canarySelector: 'rollouts_pod_template_hash="{{headSha}}"' },
        },
      },
    });
    expect(createDeployTarget(settings, "staging").kind).toBe("webhook");
    expect(createDeployTarget(settings, "production").kind).toBe("command");
    expect(createMetricSource(settings, "production").kind).toBe("prometheus");
    expect(settings.production.target).toMatchObject({ timeLimitSeconds: 300 });
    expect(settings.production.metricSource).toMatchObject({ baselineSelector: 'cohort="baseline"', minRateWindowSeconds: 60 });
  });

  it.each([
    ["a production command target without rollback", { production: { target: { kind: "command", deployCommand: "deploy", setWeightCommand: "w", promoteCommand: "p" }, metricSource: { kind: "prometheus", baseUrl: "http://p:9090" } } }, "deploy.production.target.rollbackCommand"],
    ["simulated numbers for a real target", { staging: { target: { kind: "command", deployCommand: "deploy" } } }, "deploy.staging.metricSource.kind"],
    ["a fast clock over a real Prometheus", { clockScale: 60, production: { metricSource: { kind: "prometheus", baseUrl: "http://p:9090" } } }, "deploy.clockScale"],
    ["a webhook with a short secret", { staging: { target: { kind: "webhook", url: "https://h.example.com", secret: "short" }, metricSource: { kind: "prometheus", baseUrl: "http://p:9090" } } }, "deploy.staging.target.secret"],
    ["an unknown query placeholder", { staging: { metricSource: { kind: "prometheus", baseUrl: "http://p:9090", queries: { requests: "sum(x{ {{selectr}} })" } } } }, "deploy.staging.metricSource.queries.requests"],
    ["a smoke check with nothing to check on a real target", { staging: { target: { kind: "command", deployCommand: "d" }, metricSource: { kind: "prometheus", baseUrl: "http://p:9090" }, smokeChecks: [{ name: "health" }] } }, "deploy.staging.smokeChecks.0.url"],
    ["a misspelt field", { stagng: {} }, "deploy"],
  ])("refuse %s, naming the field", (_, deploy, field) => {
    expect(() => deploySettingsOf({ deploy })).toThrow(expect.objectContaining({ issues: expect.arrayContaining([expect.objectContaining({ path: field })]) }));
  });

  it("are the schema's output: the API can validate with deploySettingsSchema directly", () => {
    expect(deploySettingsSchema.parse({})).toEqual(deploySettingsOf({}));
  });
});
