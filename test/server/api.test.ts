import fs from "node:fs";
import path from "node:path";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD } from "@/lib/users/demo-users";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";
import { demoBranches } from "@/scripts/lib/demo-repository";
import { runScript, startFlowgate, type FlowgateProcess } from "../support/flowgate-process";
import { signIn } from "../support/http-session";

type Who = "anonymous" | "admin" | "reviewer" | "manager" | "auditor";

const smallDiff = `diff --git a/docs/notes.md b/docs/notes.md
new file mode 100644
--- /dev/null
+++ b/docs/notes.md
@@ -0,0 +1 @@
+Release notes.
`;
let nextPr = 500;
/** A valid intake body for the seeded demo repository, with a fresh PR number each call. */
function runBody(who: string, overrides: Record<string, unknown> = {}) {
  const number = nextPr++;
  return {
    repository: "demo-shop",
    prNumber: number,
    title: `Notes from ${who}`,
    author: `${who}@example.com`,
    baseSha: "a".repeat(40),
    headSha: String(number).padStart(40, "0"),
    diff: smallDiff,
    ...overrides,
  };
}
const people: Who[] = ["anonymous", "admin", "reviewer", "manager", "auditor"];

describe("the HTTP API of a running Flowgate", () => {
  let app: FlowgateProcess;
  const cookies = {} as Record<Who, string>;
  const createdTokens: string[] = [];

  async function call(who: Who | { bearer: string } | { cookie: string }, method: string, route: string, body?: unknown, extraHeaders: Record<string, string> = {}) {
    const headers: Record<string, string> = { ...extraHeaders };
    if (typeof who === "object") {
      if ("bearer" in who) headers.authorization = `Bearer ${who.bearer}`;
      else headers.cookie = who.cookie;
    } else if (who !== "anonymous") {
      headers.cookie = cookies[who];
    }
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${app.url}${route}`, {
      method,
      headers,
      redirect: "manual",
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // A page, not JSON.
    }
    return { status: response.status, json: json as Record<string, any>, text, location: response.headers.get("location"), headers: response.headers };
  }

  async function ctlToken(email: string, scopes: string) {
    const result = await runScript("ctl.ts", ["token", "create", "--user", email, "--name", `test-${scopes}`, "--scopes", scopes], {
      FLOWGATE_DATA_DIR: app.dataDir,
    });
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim();
    createdTokens.push(token);
    return token;
  }

  beforeAll(async () => {
    app = await startFlowgate({ env: { LOG_LEVEL: "info" } });
    for (const who of people) {
      if (who === "anonymous") continue;
      const cookie = await signIn(app.url, `${who}@flowgate.local`, DEMO_PASSWORD);
      expect(cookie, `sign-in as ${who}`).not.toBeNull();
      cookies[who] = cookie!;
    }
  });

  afterAll(async () => {
    const code = await app?.stop();
    expect(code).toBe(0);
  });

  it("reports health: database, migrations and a live runner", async () => {
    let health = await call("anonymous", "GET", "/api/health");
    // The runner registers its first heartbeat moments after the web server is ready.
    for (let i = 0; i < 40 && health.json.runner.activeRunners === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      health = await call("anonymous", "GET", "/api/health");
    }
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: "ok", database: { reachable: true }, migrations: { current: true, pending: [] } });
    expect(health.json.runner.heartbeatAgeSeconds).toBeLessThan(30);
  });

  it("runs every seeded demo pull request to the end its branch was made for", async () => {
    const deadline = Date.now() + 150_000;
    let cards: { status: string; currentStage: string; pullRequest: { number: number } }[] = [];
    const settled = (status: string) => ["done", "escalated", "failed", "rolled_back"].includes(status);
    while (Date.now() < deadline) {
      cards = (await call("manager", "GET", "/api/v1/runs?repository=demo-shop")).json.cards.filter((c: { pullRequest: { number: number } }) => c.pullRequest.number <= demoBranches.length);
      if (cards.length === demoBranches.length && cards.every((c) => settled(c.status))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const ends = Object.fromEntries(cards.map((c) => [c.pullRequest.number, { status: c.status, stage: c.currentStage }]));
    expect(ends).toEqual(Object.fromEntries(demoBranches.map((b, i) => [i + 1, b.ends])));
  }, 180_000);

  it("takes a run through intake with an API token: 201, then 200 for the same head, then supersedes", async () => {
    const token = await ctlToken("reviewer@flowgate.local", "runs:write,runs:read");
    const body = runBody("token");
    const created = await call({ bearer: token }, "POST", "/api/v1/runs", body);
    expect(created.status).toBe(201);
    expect(created.json.run).toMatchObject({ status: "queued", repository: "demo-shop", pullRequestNumber: body.prNumber });
    expect(created.json.run.url).toBe(`${app.url}/runs/${created.json.run.id}`);
    const again = await call({ bearer: token }, "POST", "/api/v1/runs", body);
    expect(again.status).toBe(200);
    expect(again.json.run.id).toBe(created.json.run.id);
    const newer = await call({ bearer: token }, "POST", "/api/v1/runs", { ...body, headSha: "f".repeat(40) });
    expect(newer.status).toBe(201);
    expect(newer.json.superseded).toEqual([created.json.run.id]);
    const detail = await call({ bearer: token }, "GET", `/api/v1/runs/${created.json.run.id}`);
    expect(detail.json.run.status).toBe("superseded");
    expect(detail.json.auditEvents.map((e: { action: string }) => e.action)).toContain("run.submitted");
    // The run's page data carries no diff; the diff viewer asks for it by the run's id, as text.
    expect(detail.text).not.toContain("diff --git");
    const diff = await call({ bearer: token }, "GET", `/api/v1/runs/${created.json.run.id}/diff`);
    expect(diff.status).toBe(200);
    expect(diff.headers.get("content-type")).toBe("text/x-diff; charset=utf-8");
    expect(diff.text).toBe(body.diff);
  });

  it.each([
    ["a malformed diff", { diff: "not a diff" }, 422, "diff"],
    ["an unknown repository", { repository: "nope" }, 404, null],
    ["a missing diff and refs", { diff: undefined }, 422, "diff"],
    ["a bad SHA", { headSha: "xyz" }, 422, "headSha"],
  ])("refuses intake of %s with the failing field", async (_label, overrides, status, field) => {
    const response = await call("admin", "POST", "/api/v1/runs", runBody("admin", overrides));
    expect(response.status).toBe(status);
    if (field) expect(response.json.error.fields.map((f: { path: string }) => f.path)).toContain(field);
  });

  it("settles two reviewers deciding the same escalation at the same moment: one 200, one 409 naming the winner", async () => {
    const inbox = await call("reviewer", "GET", "/api/v1/escalations?reason=high_risk");
    expect(inbox.status).toBe(200);
    const target = inbox.json.items.find((i: { reasons: string[] }) => !i.reasons.includes("schema_change"));
    const body = { decision: "approve", rationale: "Reviewed the finding and accept the risk for this release." };
    const [a, b] = await Promise.all([
      call("reviewer", "POST", `/api/v1/escalations/${target.id}/decision`, body),
      call("admin", "POST", `/api/v1/escalations/${target.id}/decision`, body),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.status === 200 ? "reviewer@flowgate.local" : "admin@flowgate.local";
    // Approval at review moves the run on to the test stage, in the same transaction.
    expect((a.status === 200 ? a : b).json.run).toMatchObject({ status: "queued", currentStage: "test" });
    const loser = a.status === 409 ? a : b;
    expect(loser.json.error.message).toContain(`already decided (approved) by ${winner}`);
    const detail = await call("reviewer", "GET", `/api/v1/escalations/${target.id}`);
    expect(detail.json.escalation.decisions).toHaveLength(1);
    // The escalation carries the package's file facts, never the diff itself.
    expect(detail.json.escalation.contextPackage.change.files.length).toBeGreaterThan(0);
    expect(detail.text).not.toContain("diff --git");
  });

  it("versions and audits a policy change, and names an invalid threshold", async () => {
    const invalid = await call("admin", "PUT", "/api/v1/policy", { ...defaultPolicyRules, review: { ...defaultPolicyRules.review, humanRiskThreshold: 11 } });
    expect(invalid.status).toBe(422);
    expect(invalid.json.error.fields[0].path).toBe("review.humanRiskThreshold");
    const before = (await call("admin", "GET", "/api/v1/policy")).json.policy.version;
    const saved = await call("admin", "PUT", "/api/v1/policy", { ...defaultPolicyRules, review: { ...defaultPolicyRules.review, humanRiskThreshold: 6 } });
    expect(saved.json).toMatchObject({ changed: true, version: before + 1, policy: { rules: { review: { humanRiskThreshold: 6 } } } });
    const restored = await call("admin", "PUT", "/api/v1/policy", defaultPolicyRules);
    expect(restored.json.version).toBe(before + 2);
  });

  it("rejects a wrong password and an unknown account", async () => {
    expect(await signIn(app.url, "admin@flowgate.local", "wrong-password")).toBeNull();
    expect(await signIn(app.url, "nobody@flowgate.local", DEMO_PASSWORD)).toBeNull();
  });

  it("identifies the signed-in person and their role", async () => {
    for (const who of ["admin", "reviewer", "manager", "auditor"] as const) {
      const me = await call(who, "GET", "/api/v1/me");
      expect(me.status).toBe(200);
      expect(me.json.user).toMatchObject({ email: `${who}@flowgate.local`, role: who });
    }
  });

  it("refuses an expired session but accepts a current one signed the same way", async () => {
    const { authSecret } = JSON.parse(fs.readFileSync(path.join(app.dataDir, "secrets.json"), "utf8"));
    const me = await call("admin", "GET", "/api/v1/me");
    const claims = { sub: me.json.user.id, email: "admin@flowgate.local", role: "admin" as const };
    const current = await encode({ token: claims, secret: authSecret, maxAge: 60 });
    const expired = await encode({ token: claims, secret: authSecret, maxAge: -60 });
    expect((await call({ cookie: `next-auth.session-token=${current}` }, "GET", "/api/v1/me")).status).toBe(200);
    const refused = await call({ cookie: `next-auth.session-token=${expired}` }, "GET", "/api/v1/me");
    expect(refused.status).toBe(401);
    expect(refused.json).toEqual({
      error: { code: "unauthenticated", message: "Sign in or send a valid API token (Authorization: Bearer ...)" },
    });
  });

  // Every route × every role (and anonymous) → the expected status, written out by hand.
  const matrix: [string, string, Record<Who, number>, ((who: Who) => unknown)?][] = [
    ["GET", "/api/health", { anonymous: 200, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/me", { anonymous: 401, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/runs", { anonymous: 401, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/tokens", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 403 }],
    ["POST", "/api/v1/tokens", { anonymous: 401, admin: 201, reviewer: 403, manager: 403, auditor: 403 }, () => ({ name: "matrix", scopes: ["runs:read"] })],
    ["DELETE", "/api/v1/tokens/no-such-token", { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 403 }],
    ["GET", "/api/v1/users", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 403 }],
    [
      "POST",
      "/api/v1/users",
      { anonymous: 401, admin: 201, reviewer: 403, manager: 403, auditor: 403 },
      (who) => ({ email: `made-by-${who}@example.com`, role: "reviewer", password: "a-long-password" }),
    ],
    ["PATCH", "/api/v1/users/no-such-user", { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 403 }, () => ({ role: "auditor" })],
    ["PATCH", "/api/v1/users/no-such-user", { anonymous: 401, admin: 422, reviewer: 403, manager: 403, auditor: 403 }, () => ({ role: "superuser" })],
    ["GET", "/api/v1/audit/verify", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 200 }],
    ["GET", "/api/v1/access", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 200 }],
    ["GET", "/api/v1/access?at=yesterday", { anonymous: 401, admin: 422, reviewer: 403, manager: 403, auditor: 422 }],
    ["GET", "/api/v1/runs/no-such-run", { anonymous: 401, admin: 404, reviewer: 404, manager: 404, auditor: 404 }],
    ["GET", "/api/v1/repositories", { anonymous: 401, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    [
      "POST",
      "/api/v1/repositories",
      { anonymous: 401, admin: 422, reviewer: 403, manager: 403, auditor: 403 },
      (who) => ({ name: `repo-${who}`, path: "/definitely/not/a/repository" }),
    ],
    ["POST", "/api/v1/runs", { anonymous: 401, admin: 201, reviewer: 201, manager: 403, auditor: 403 }, (who) => runBody(who)],
    ["GET", "/api/v1/policy", { anonymous: 401, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/escalations", { anonymous: 401, admin: 200, reviewer: 200, manager: 403, auditor: 403 }],
    ["GET", "/api/v1/escalations/no-such-escalation", { anonymous: 401, admin: 404, reviewer: 404, manager: 403, auditor: 403 }],
    [
      "POST",
      "/api/v1/escalations/no-such-escalation/decision",
      { anonymous: 401, admin: 404, reviewer: 404, manager: 403, auditor: 403 },
      () => ({ decision: "approve", rationale: "Looked at it closely and it is fine." }),
    ],
    ["PUT", "/api/v1/policy", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 403 }, () => defaultPolicyRules],
    ["GET", "/api/v1/metrics", { anonymous: 401, admin: 200, reviewer: 403, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/metrics/filters", { anonymous: 401, admin: 200, reviewer: 403, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/metrics/export", { anonymous: 401, admin: 200, reviewer: 403, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/metrics/runs?set=nope", { anonymous: 401, admin: 422, reviewer: 403, manager: 422, auditor: 422 }],
    ["GET", "/api/v1/deployments", { anonymous: 401, admin: 200, reviewer: 200, manager: 200, auditor: 200 }],
    ["GET", "/api/v1/deployments/no-such-deployment", { anonymous: 401, admin: 404, reviewer: 404, manager: 404, auditor: 404 }],
    [
      "PATCH",
      "/api/v1/repositories/no-such-repository",
      { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 403 },
      () => ({ deploy: { clockScale: 60 } }),
    ],
    [
      "PATCH",
      "/api/v1/repositories/no-such-repository",
      { anonymous: 401, admin: 422, reviewer: 403, manager: 403, auditor: 403 },
      () => ({ test: { preset: "not-a-preset" } }),
    ],
    ["GET", "/api/v1/runs/no-such-run/test-patch", { anonymous: 401, admin: 404, reviewer: 404, manager: 404, auditor: 404 }],
    ["GET", "/api/v1/runs/no-such-run/diff", { anonymous: 401, admin: 404, reviewer: 404, manager: 404, auditor: 404 }],
    ["GET", "/api/v1/code-host", { anonymous: 401, admin: 200, reviewer: 403, manager: 403, auditor: 403 }],
    ["POST", "/api/v1/code-host/deliveries/no-such-delivery/redeliver", { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 403 }, () => ({})],
    // Webhooks are authenticated by their signature, not a session: without a configured secret, refused for everyone.
    ["POST", "/api/v1/hooks/github", { anonymous: 503, admin: 503, reviewer: 503, manager: 503, auditor: 503 }, () => ({ zen: "ping" })],
    ["GET", "/api/v1/audit/verify/no-such-verification", { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 404 }],
    ["GET", "/api/v1/audit/sample?n=0", { anonymous: 401, admin: 422, reviewer: 403, manager: 403, auditor: 422 }],
    ["GET", "/api/v1/audit/export?format=pdf&runId=no-such-run", { anonymous: 401, admin: 404, reviewer: 403, manager: 403, auditor: 404 }],
  ];

  it.each(matrix)("%s %s answers each role as the role table says", async (method, route, expected, body) => {
    for (const who of people) {
      const response = await call(who, method, route, body?.(who));
      expect({ who, status: response.status }).toEqual({ who, status: expected[who] });
      // Every API response, error or not, carries the security headers.
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      if (response.status >= 400) {
        const keys = Object.keys(response.json.error).sort();
        expect(keys).toEqual(response.status === 422 ? ["code", "fields", "message"] : ["code", "message"]);
      }
    }
  });

  // CSRF in depth: with a valid session cookie, a state-changing request from another site is refused
  // before anything else is looked at, whether the browser says so by Origin or by Sec-Fetch-Site.
  // Webhooks are excluded: GitHub's deliveries are cross-site by nature, and their signature, not a
  // cookie, authenticates them (a cookie never makes one valid).
  const stateChanging = matrix.filter(([method, route]) => method !== "GET" && !route.startsWith("/api/v1/hooks/"));
  it.each(stateChanging)("%s %s refuses a cross-site request that carries a valid session cookie", async (method, route, expected, body) => {
    for (const who of people) {
      const crossSiteHeaders: Record<string, string>[] = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { origin: "http://localhost:1" }];
      for (const crossSite of crossSiteHeaders) {
        const response = await call(who, method, route, body?.(who), crossSite);
        const status = who === "anonymous" ? expected.anonymous : 403;
        expect({ who, crossSite, status: response.status }).toEqual({ who, crossSite, status });
        if (who !== "anonymous") expect(response.json.error).toMatchObject({ code: "forbidden", message: expect.stringMatching(/^Cross-site request refused/) });
      }
    }
  });

  it("lets same-origin pages and API-token clients make state-changing requests", async () => {
    const sameOrigin = await call("admin", "POST", "/api/v1/tokens", { name: "same-origin", scopes: ["runs:read"] }, { origin: app.url, "sec-fetch-site": "same-origin" });
    expect(sameOrigin.status).toBe(201);
    createdTokens.push(sameOrigin.json.token);
    const token = await ctlToken("reviewer@flowgate.local", "runs:write");
    const withToken = await call({ bearer: token }, "POST", "/api/v1/runs", runBody("token-cross-site"), { origin: "https://ci.example", "sec-fetch-site": "cross-site" });
    expect(withToken.status).toBe(201);
  });

  const pages: [string, Record<Exclude<Who, "anonymous">, boolean>][] = [
    ["/board", { admin: true, reviewer: true, manager: true, auditor: true }],
    ["/inbox", { admin: true, reviewer: true, manager: false, auditor: false }],
    ["/deployments", { admin: true, reviewer: true, manager: true, auditor: true }],
    ["/metrics", { admin: true, reviewer: false, manager: true, auditor: true }],
    ["/audit", { admin: true, reviewer: false, manager: false, auditor: true }],
    ["/settings", { admin: true, reviewer: false, manager: false, auditor: false }],
  ];

  it.each(pages)("page %s: anonymous goes to sign-in, each role sees it or is told it is not available", async (route, allowed) => {
    const anonymous = await call("anonymous", "GET", route);
    expect(anonymous.status).toBe(307);
    expect(anonymous.location).toContain("/signin");
    for (const [who, may] of Object.entries(allowed) as [Exclude<Who, "anonymous">, boolean][]) {
      const page = await call(who, "GET", route);
      expect(page.status).toBe(200);
      // No page can be framed, and its scripts run only with this response's nonce.
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'.*frame-ancestors 'none'/);
      expect(page.text).toMatch(/<script[^>]* nonce="[^"]+"/);
      expect({ who, blocked: page.text.includes("is not available to the") }).toEqual({ who, blocked: !may });
    }
  });

  it("lets a token act for its owner within its scopes, capped by the owner's role", async () => {
    const reviewerToken = await ctlToken("reviewer@flowgate.local", "runs:read,audit:read");
    expect((await call({ bearer: reviewerToken }, "GET", "/api/v1/runs")).status).toBe(200);
    // audit:read is in the token but not in the reviewer's role.
    expect((await call({ bearer: reviewerToken }, "GET", "/api/v1/audit/verify")).status).toBe(403);
    const adminToken = await ctlToken("admin@flowgate.local", "runs:read");
    expect((await call({ bearer: adminToken }, "GET", "/api/v1/runs")).status).toBe(200);
    expect((await call({ bearer: adminToken }, "GET", "/api/v1/audit/verify")).status).toBe(403);
    // Managing tokens is for signed-in people only, never for a token.
    expect((await call({ bearer: adminToken }, "GET", "/api/v1/tokens")).status).toBe(403);
    expect((await call({ bearer: "fgt_made-up" }, "GET", "/api/v1/runs")).status).toBe(401);
  });

  it("stops honouring a token the moment it is revoked, and records when it was last used", async () => {
    const created = await call("admin", "POST", "/api/v1/tokens", { name: "to-revoke", scopes: ["runs:read"] });
    expect(created.status).toBe(201);
    createdTokens.push(created.json.token);
    expect((await call({ bearer: created.json.token }, "GET", "/api/v1/runs")).status).toBe(200);
    const listed = await call("admin", "GET", "/api/v1/tokens");
    const row = listed.json.tokens.find((t: { id: string }) => t.id === created.json.record.id);
    expect(row.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.json)).not.toContain(created.json.token);
    const revoked = await call("admin", "DELETE", `/api/v1/tokens/${created.json.record.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.record.revokedAt).not.toBeNull();
    expect((await call({ bearer: created.json.token }, "GET", "/api/v1/runs")).status).toBe(401);
  });

  it.each([
    ["malformed JSON", "{not json", 400, { error: { code: "bad_request", message: "The request body must be valid JSON" } }],
    [
      "invalid fields",
      { name: "", scopes: [] },
      422,
      {
        error: {
          code: "validation_failed",
          message: "The request has invalid fields",
          fields: [
            { path: "name", message: "name is required" },
            { path: "scopes", message: "at least one scope is required" },
          ],
        },
      },
    ],
    [
      "an unknown scope",
      { name: "x", scopes: ["root"] },
      422,
      {
        error: {
          code: "validation_failed",
          message: "The request has invalid fields",
          fields: [{ path: "scopes.0", message: expect.stringContaining("Invalid option") }],
        },
      },
    ],
  ])("answers %s with the one error shape", async (_label, body, status, expected) => {
    const response = await call("admin", "POST", "/api/v1/tokens", body);
    expect(response.status).toBe(status);
    expect(response.json).toEqual(expected);
  });

  it("answers a duplicate user with 409 and keeps the first", async () => {
    const body = { email: "twice@example.com", role: "manager", password: "a-long-password" };
    expect((await call("admin", "POST", "/api/v1/users", body)).status).toBe(201);
    const again = await call("admin", "POST", "/api/v1/users", { ...body, role: "admin" });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("conflict");
  });

  it("never writes passwords or tokens to its logs", async () => {
    // The structured log lines; the start-up banner prints the demo password on purpose.
    const output = app
      .output()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .join("\n");
    expect(output).toContain("signed in");
    expect(output).not.toContain(DEMO_PASSWORD);
    expect(output).not.toContain("wrong-password");
    expect(createdTokens.length).toBeGreaterThan(0);
    for (const token of createdTokens) expect(output).not.toContain(token);
  });
});
