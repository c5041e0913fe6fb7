import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { SAMPLES_CSV_HEADER, samplesCsvStream } from "@/lib/deployments/export-samples-csv";
import { deploymentListQuerySchema, listDeployments, type DeploymentListQuery } from "@/lib/deployments/list-deployments";
import { loadDeploymentOrThrow, type DeploymentDetail } from "@/lib/deployments/load-deployment";
import { defaultPolicyRules } from "@/lib/policy/policy-rules";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { seedDeploymentFixture, type DeploymentFixture } from "../support/deployment-fixture";

const SAMPLES = 10_000;
const system = { type: "system", id: "test", label: "test" } as const;

describe("deployments: list, detail and export", () => {
  let t: TestDatabase;
  let rolledBack: DeploymentFixture;
  let promoted: DeploymentFixture;
  let live: DeploymentFixture;
  let detail: DeploymentDetail;

  const list = (query: Record<string, string | number> = {}) => listDeployments(t.db, deploymentListQuerySchema.parse(query) as DeploymentListQuery);

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    const endedAt = Date.now();
    rolledBack = await seedDeploymentFixture(t.db, { repository: "payments-api", prNumber: 41, samplesPerCohort: SAMPLES, ending: "rolled_back", endedAt: new Date(endedAt) });
    promoted = await seedDeploymentFixture(t.db, { repository: "search", prNumber: 7, samplesPerCohort: 300, ending: "promoted", endedAt: new Date(endedAt - 86_400_000) });
    live = await seedDeploymentFixture(t.db, { repository: "search", prNumber: 8, samplesPerCohort: 120, ending: "canary", evaluations: 3, endedAt: new Date(endedAt - 3_600_000) });
    // A later policy version with other limits: the deployments keep their run's own.
    await t.db.policy.updateMany({ data: { active: false } });
    await t.db.policy.create({
      data: { version: 2, active: true, rules: { ...defaultPolicyRules, deployment: { ...defaultPolicyRules.deployment, maxErrorRatePercent: 2, maxP99LatencyMs: 1500 } } },
    });
    detail = await loadDeploymentOrThrow(t.db, { id: rolledBack.canaryDeploymentId });
  });
  afterAll(async () => t?.drop());

  describe("one deployment", () => {
    it("has every raw sample, by cohort in time order", () => {
      expect(detail.sampleCount).toBe(2 * SAMPLES);
      expect(detail.samples!.canary).toHaveLength(SAMPLES);
      expect(detail.samples!.baseline).toHaveLength(SAMPLES);
      const times = detail.samples!.canary.map((s) => Date.parse(s.at));
      expect(times.every((time, i) => i === 0 || time > times[i - 1])).toBe(true);
      expect(Math.max(...detail.samples!.canary.map((s) => s.errorRate))).toBe(rolledBack.spikeErrorRate);
      expect(Math.max(...detail.samples!.baseline.map((s) => s.errorRate))).toBeLessThan(0.5);
      expect(Object.keys(detail.samples!.canary[0]).sort()).toEqual(["at", "errorRate", "p99Ms", "requests"]);
      expect(detail.lastSampleId).toMatch(/^\d+$/);
    });

    it("tells why it was rolled back, with the tripped metric's number and limit", () => {
      expect(detail.deployment).toMatchObject({ status: "rolled_back", live: false, environment: "production", strategy: "canary", rollbackReason: rolledBack.rollbackReason });
      const failing = rolledBack.verdicts.at(-1)!;
      expect(detail.outcome).toMatchObject({
        kind: "rollback",
        tripped: { metric: "error_rate_percent", value: failing.rollback!.value, threshold: 0.5, unit: "%" },
      });
      expect(detail.outcome!.tripped!.value).toBeGreaterThan(0.5);
      expect(detail.evaluations).toHaveLength(10);
      expect(detail.evaluations.map((e) => e.verdict)).toEqual(rolledBack.verdicts.map((v) => v.verdict));
      expect(detail.evaluations.at(-1)).toMatchObject({ verdict: "fail", errorRatePercent: failing.rollback!.value, result: { state: "ok" } });
      expect(detail.weightHistory.map((w) => [w.kind, w.weight])).toEqual([
        ["deploy", 0],
        ["set_weight", 5],
        ["rollback", 0],
      ]);
      expect(detail.steps.map((s) => s.kind)).toEqual(["deploy", "smoke_check", "set_weight", ...Array(10).fill("evaluation"), "rollback", "notification"]);
    });

    it("holds it to the thresholds of its run's policy version, not the current one", () => {
      expect(detail.thresholds).toEqual({ maxErrorRatePercent: 0.5, maxP99LatencyMs: 800, policyVersion: 1, source: "policy" });
    });

    it("carries its analysis, the staging comparison before it, the run's deployments and the incident report", () => {
      expect(detail.analysis).toMatchObject({ state: "ok", value: { kind: "canary", latest: { verdict: "fail" } } });
      expect(detail.stagingComparison).toMatchObject({ deploymentId: rolledBack.stagingDeploymentId, analysis: { state: "ok", value: { kind: "staging", adjustmentFactor: 1.25 } } });
      const staging = detail.stagingComparison!.analysis;
      expect(staging.state === "ok" && staging.value.metrics.map((m) => m.name)).toEqual(["error_rate", "p99_latency"]);
      expect(detail.runDeployments.map((d) => [d.id, d.environment])).toEqual([
        [rolledBack.stagingDeploymentId, "staging"],
        [rolledBack.canaryDeploymentId, "production"],
      ]);
      expect(detail.incidentReport).toMatchObject({ state: "ok", unreadableFields: [], report: { title: rolledBack.incidentTitle, provider: "heuristic", suspectFiles: [{ path: "src/capture.ts" }] } });
      expect(detail.repository.name).toBe("payments-api");
      expect(detail.pullRequest.number).toBe(41);
    });

    it("gives the charts' rows instead of the raw samples when asked: bounded, with the spike that tripped the rollback", async () => {
      const display = await loadDeploymentOrThrow(t.db, { id: rolledBack.canaryDeploymentId, samples: "display" });
      expect(display.samples).toBeNull();
      expect(display.display).not.toBeNull();
      const { errorRate, p99Ms, rawCount, span } = display.display!;
      expect(rawCount).toBe(2 * SAMPLES);
      expect(errorRate.length).toBeLessThanOrEqual(1_200);
      expect(p99Ms.length).toBeLessThanOrEqual(1_200);
      expect(Math.max(...errorRate.map((row) => row.canary ?? 0))).toBe(rolledBack.spikeErrorRate);
      expect(span).toEqual([Date.parse(detail.samples!.canary[0].at), Date.parse(detail.samples!.canary.at(-1)!.at)]);
      // Everything else is the same as with raw samples.
      expect({ ...display, display: null, samples: null }).toEqual({ ...detail, display: null, samples: null });

      const none = await loadDeploymentOrThrow(t.db, { id: rolledBack.canaryDeploymentId, samples: "none" });
      expect([none.samples, none.display, none.sampleCount]).toEqual([null, null, 2 * SAMPLES]);
    });

    it("returns only the samples stored after a given one, for a page watching a live canary", async () => {
      const fresh = await loadDeploymentOrThrow(t.db, { id: live.canaryDeploymentId });
      expect(fresh.deployment).toMatchObject({ status: "canary", live: true });
      expect(fresh.outcome).toBeNull();
      const at = new Date(Date.parse(fresh.samples!.canary.at(-1)!.at) + 10_000);
      await t.db.metricSample.createMany({
        data: [
          { deploymentId: live.canaryDeploymentId, cohort: "canary", at, errorRate: 0.2, p99Ms: 333, requests: 410 },
          { deploymentId: live.canaryDeploymentId, cohort: "baseline", at, errorRate: 0.1, p99Ms: 320, requests: 8000 },
        ],
      });
      const since = await loadDeploymentOrThrow(t.db, { id: live.canaryDeploymentId, samplesAfter: BigInt(fresh.lastSampleId!) });
      expect(since.samples).toEqual({
        canary: [{ at: at.toISOString(), errorRate: 0.2, p99Ms: 333, requests: 410 }],
        baseline: [{ at: at.toISOString(), errorRate: 0.1, p99Ms: 320, requests: 8000 }],
      });
      expect(since.sampleCount).toBe(fresh.sampleCount + 2);
      expect(BigInt(since.lastSampleId!)).toBeGreaterThan(BigInt(fresh.lastSampleId!));
      expect(since.samplesAfter).toBe(fresh.lastSampleId);
    });

    it("names the unit of a tripped threshold metric when the rollback's detail leaves it out", async () => {
      const deployment = await t.db.deployment.create({ data: { runId: promoted.runId, environment: "production", strategy: "canary", target: "simulated", status: "rolled_back" } });
      await t.db.deploymentStep.create({
        data: { deploymentId: deployment.id, kind: "rollback", verdict: "ok", summary: "Rolled back", detail: { metric: "p99_latency_ms", value: 912, threshold: 800, at: "2026-11-25T10:00:00.000Z" } },
      });
      const rolled = await loadDeploymentOrThrow(t.db, { id: deployment.id });
      expect(rolled.outcome?.tripped).toEqual({ metric: "p99_latency_ms", value: 912, threshold: 800, unit: "ms", at: "2026-11-25T10:00:00.000Z" });
      await t.db.deployment.delete({ where: { id: deployment.id } });
    });

    it("reads the staging comparison of a staging deployment, recorded as its evaluation step", async () => {
      const staging = await loadDeploymentOrThrow(t.db, { id: rolledBack.stagingDeploymentId });
      expect(staging.analysis).toMatchObject({ state: "ok", value: { kind: "staging", adjustmentFactor: 1.25 } });
      expect(staging.stagingComparison).toBeNull();
      expect(staging.evaluations).toMatchObject([{ verdict: "pass", summary: "Staging comparison within tolerance.", result: { state: "absent" }, errorRatePercent: null }]);
      expect(staging.outcome).toBeNull();
    });

    it("shows what it cannot read as unreadable instead of failing", async () => {
      const deployment = await t.db.deployment.create({
        data: {
          runId: promoted.runId,
          environment: "production",
          strategy: "canary",
          target: "command",
          status: "failed",
          analysis: { kind: "canary", latest: { verdict: "maybe" } },
          incidentReport: { title: "Half a report", timeline: "not a list", suspectFiles: [{ path: "a.ts", reason: "changed" }] },
        },
      });
      await t.db.deploymentStep.create({ data: { deploymentId: deployment.id, kind: "evaluation", verdict: "marginal", summary: "an old agent's verdict", detail: { score: 40 } } });
      const odd = await loadDeploymentOrThrow(t.db, { id: deployment.id });
      expect(odd.analysis.state).toBe("unreadable");
      expect(odd.analysis.state === "unreadable" && odd.analysis.problems.length).toBeGreaterThan(0);
      expect(odd.incidentReport).toEqual({ state: "ok", unreadableFields: ["timeline"], report: { title: "Half a report", suspectFiles: [{ path: "a.ts", reason: "changed" }] } });
      expect(odd.evaluations).toMatchObject([{ verdict: "marginal", errorRatePercent: null, result: { state: "unreadable" } }]);
      expect(odd.samples).toEqual({ canary: [], baseline: [] });
      expect(odd.lastSampleId).toBeNull();
      await t.db.deployment.delete({ where: { id: deployment.id } });
    });

    it("is a not_found error for an unknown id", async () => {
      await expect(loadDeploymentOrThrow(t.db, { id: "nope" })).rejects.toMatchObject({ kind: "not_found" });
    });
  });

  describe("the CSV export", () => {
    it("has a header and every raw sample, exactly as stored", async () => {
      const text = await new Response(samplesCsvStream(t.db, rolledBack.canaryDeploymentId)).text();
      const lines = text.trimEnd().split("\n");
      expect(lines[0]).toBe(SAMPLES_CSV_HEADER);
      expect(lines).toHaveLength(1 + 2 * SAMPLES);
      const rows = lines.slice(1).map((line) => line.split(","));
      expect(rows.filter((r) => r[0] === "canary")).toHaveLength(SAMPLES);
      expect(rows.filter((r) => r[0] === "baseline")).toHaveLength(SAMPLES);
      expect(Math.max(...rows.filter((r) => r[0] === "canary").map((r) => Number(r[2])))).toBe(rolledBack.spikeErrorRate);
      // The same values as the JSON detail, in the same order.
      const json = detail.samples!.canary[1234];
      const csv = rows.filter((r) => r[0] === "canary")[1234];
      expect(csv).toEqual(["canary", json.at, String(json.errorRate), String(json.p99Ms), String(json.requests)]);
      expect(new Set(rows.map((r) => `${r[0]} ${r[1]}`)).size).toBe(2 * SAMPLES);
    });
  });

  describe("the list", () => {
    it("lists deployments newest first, with their run, pull request and repository", async () => {
      const page = await list();
      expect(page.deployments).toHaveLength(6);
      const starts = page.deployments.map((d) => Date.parse(d.startedAt));
      expect(starts).toEqual([...starts].sort((a, b) => b - a));
      const row = page.deployments.find((d) => d.id === rolledBack.canaryDeploymentId)!;
      expect(row).toMatchObject({
        environment: "production",
        status: "rolled_back",
        live: false,
        trafficPercent: 0,
        repository: "payments-api",
        pullRequest: { number: 41 },
        run: { id: rolledBack.runId, status: "rolled_back", simulated: false },
        rollbackReason: rolledBack.rollbackReason,
      });
      expect(page.repositories).toEqual(["payments-api", "search"]);
      expect(page.nextCursor).toBeNull();
    });

    it.each([
      [{ environment: "production" }, (f: Fixtures) => [f.live.canaryDeploymentId, f.promoted.canaryDeploymentId, f.rolledBack.canaryDeploymentId]],
      [{ environment: "staging", repository: "search" }, (f: Fixtures) => [f.live.stagingDeploymentId, f.promoted.stagingDeploymentId]],
      [{ status: "rolled_back" }, (f: Fixtures) => [f.rolledBack.canaryDeploymentId]],
      [{ status: "live" }, (f: Fixtures) => [f.live.canaryDeploymentId]],
      [{ repository: "payments-api", environment: "production" }, (f: Fixtures) => [f.rolledBack.canaryDeploymentId]],
      [{ runId: "set below" }, (f: Fixtures) => [f.promoted.canaryDeploymentId, f.promoted.stagingDeploymentId]],
      [{ repository: "no-such-repository" }, () => []],
    ] as const)("filters by %o", async (filter, expected) => {
      const fixtures = { rolledBack, promoted, live };
      const query = "runId" in filter ? { runId: promoted.runId } : filter;
      expect((await list(query)).deployments.map((d) => d.id)).toEqual(expected(fixtures));
    });

    it("pages with a keyset cursor, without gaps or repeats", async () => {
      const all = (await list()).deployments.map((d) => d.id);
      const seen: string[] = [];
      let before: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await list({ limit: 4, ...(before ? { before } : {}) });
        seen.push(...page.deployments.map((d) => d.id));
        if (!page.nextCursor) break;
        before = page.nextCursor;
      }
      expect(seen).toEqual(all);
    });

    it.each([
      [{ status: "exploded" }, "status"],
      [{ environment: "qa" }, "environment"],
      [{ limit: "500" }, "limit"],
      [{ before: "yesterday" }, "before"],
      [{ before: "2026-13-45T00:00:00.000Z~abc" }, "before"],
      [{ statuss: "canary" }, ""],
    ])("refuses %o, naming the field", (query, field) => {
      const result = deploymentListQuerySchema.safeParse(query);
      expect(result.success).toBe(false);
      const issue = result.error!.issues[0];
      expect(issue.path.join(".") || (issue.code === "unrecognized_keys" ? "" : "?")).toBe(field);
    });
  });

  describe("the HTTP endpoints", () => {
    type Handler = (req: Request, segment: { params: Promise<Record<string, string>> }) => Promise<Response>;
    let listRoute: Handler;
    let detailRoute: Handler;
    const tokens = {} as Record<"reader" | "runsOnly" | "auditor", string>;
    const get = (handler: Handler, url: string, token: string, params: Record<string, string> = {}) =>
      handler(new Request(new URL(url, "http://flowgate.test"), { headers: { authorization: `Bearer ${token}` } }), { params: Promise.resolve(params) });

    beforeAll(async () => {
      // The handlers use the process-wide client, which reads DATABASE_URL on first use.
      process.env.DATABASE_URL = t.url;
      process.env.NEXTAUTH_SECRET ??= "deployments-test-secret-0123456789abcdef";
      listRoute = (await import("@/app/api/v1/deployments/route")).GET as Handler;
      detailRoute = (await import("@/app/api/v1/deployments/[id]/route")).GET as Handler;
      const { createUser } = await import("@/lib/users/create-user");
      const { createApiToken } = await import("@/lib/auth/api-tokens");
      const token = async (email: string, role: "manager" | "auditor", scopes: ("deployments:read" | "runs:read")[]) => {
        const user = await createUser(t.db, { input: { email, role, password: "correct horse battery" }, actor: system });
        return (await createApiToken(t.db, { userId: user.id, input: { name: email, scopes }, actor: system })).token;
      };
      tokens.reader = await token("manager@example.test", "manager", ["deployments:read"]);
      tokens.runsOnly = await token("runs@example.test", "manager", ["runs:read"]);
      tokens.auditor = await token("auditor@example.test", "auditor", ["deployments:read", "runs:read"]);
    });
    afterAll(async () => {
      const { db } = await import("@/lib/db/client");
      await db().$disconnect();
    });

    it("needs the deployments:read scope", async () => {
      const denied = await get(listRoute, "/api/v1/deployments", tokens.runsOnly);
      expect(denied.status).toBe(403);
      expect(await denied.json()).toEqual({ error: { code: "forbidden", message: "This needs the deployments:read permission" } });
      expect((await get(detailRoute, `/api/v1/deployments/${rolledBack.canaryDeploymentId}`, tokens.runsOnly, { id: rolledBack.canaryDeploymentId })).status).toBe(403);
      const anonymous = await listRoute(new Request("http://flowgate.test/api/v1/deployments"), { params: Promise.resolve({}) });
      expect(anonymous.status).toBe(401);
    });

    it("lists with filters, treating an empty parameter as no filter, and refuses unknown ones with 422", async () => {
      const response = await get(listRoute, "/api/v1/deployments?environment=production&status=&repository=payments-api", tokens.reader);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { deployments: { id: string }[] };
      expect(body.deployments.map((d) => d.id)).toEqual([rolledBack.canaryDeploymentId]);
      const invalid = await get(listRoute, "/api/v1/deployments?status=exploded&limit=0", tokens.reader);
      expect(invalid.status).toBe(422);
      const fields = ((await invalid.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path);
      expect(fields.sort()).toEqual(["limit", "status"]);
    });

    it("serves the detail as JSON, with raw samples", async () => {
      const response = await get(detailRoute, `/api/v1/deployments/${rolledBack.canaryDeploymentId}`, tokens.auditor, { id: rolledBack.canaryDeploymentId });
      expect(response.status).toBe(200);
      const body = (await response.json()) as DeploymentDetail;
      expect(body.samples!.canary).toHaveLength(SAMPLES);
      expect(body.samples!.canary[42]).toEqual(detail.samples!.canary[42]);
      expect(body.outcome?.tripped?.metric).toBe("error_rate_percent");
      expect(body.evaluations.map((e) => e.verdict)).toEqual(detail.evaluations.map((e) => e.verdict));
    });

    it("serves the charts' rows for the page, a fraction of the raw samples' size", async () => {
      const url = (search: string) => `/api/v1/deployments/${rolledBack.canaryDeploymentId}${search}`;
      const raw = await (await get(detailRoute, url(""), tokens.reader, { id: rolledBack.canaryDeploymentId })).text();
      const response = await get(detailRoute, url("?samples=display"), tokens.reader, { id: rolledBack.canaryDeploymentId });
      expect(response.status).toBe(200);
      const text = await response.text();
      const body = JSON.parse(text) as DeploymentDetail;
      expect(body.samples).toBeNull();
      expect(body.display?.rawCount).toBe(2 * SAMPLES);
      expect(text.length).toBeLessThan(raw.length / 5);
    });

    it("serves the raw samples as a CSV download", async () => {
      const response = await get(detailRoute, `/api/v1/deployments/${rolledBack.canaryDeploymentId}?format=csv`, tokens.reader, { id: rolledBack.canaryDeploymentId });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="deployment-${rolledBack.canaryDeploymentId}-samples.csv"`);
      const lines = (await response.text()).trimEnd().split("\n");
      expect(lines[0]).toBe(SAMPLES_CSV_HEADER);
      expect(lines).toHaveLength(1 + 2 * SAMPLES);
    });

    it.each([
      ["?format=xml", 422],
      ["?samplesAfter=-1", 422],
      ["?format=csv&samplesAfter=5", 422],
      ["?sample=1", 422],
      ["?samples=some", 422],
      ["?format=csv&samples=display", 422],
      ["?samples=display&samplesAfter=5", 422],
    ])("refuses %s with %i", async (search, status) => {
      const response = await get(detailRoute, `/api/v1/deployments/${rolledBack.canaryDeploymentId}${search}`, tokens.reader, { id: rolledBack.canaryDeploymentId });
      expect(response.status).toBe(status);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("validation_failed");
    });

    it("answers 404 for an unknown deployment, as JSON and as CSV", async () => {
      for (const search of ["", "?format=csv"]) {
        const response = await get(detailRoute, `/api/v1/deployments/nope${search}`, tokens.reader, { id: "nope" });
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({ error: { code: "not_found", message: "No deployment nope" } });
      }
    });
  });
});

type Fixtures = { rolledBack: DeploymentFixture; promoted: DeploymentFixture; live: DeploymentFixture };
