import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Db } from "@/lib/db/client";
import { runningInstanceDatabaseUrl } from "@/lib/db/embedded";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";
import { seedDeploymentFixture, type DeploymentFixture } from "../support/deployment-fixture";

const SAMPLES = 10_000;

describe("the deployments pages in Chromium", () => {
  const session = useFlowgateInChromium();
  let db: Db;
  let rolledBack: DeploymentFixture;
  let live: DeploymentFixture;

  beforeAll(async () => {
    // Written into the running Flowgate's own database, as the deployment agent would.
    const databaseUrl = runningInstanceDatabaseUrl(session.app.dataDir);
    if (!databaseUrl) throw new Error("the Flowgate under test has no embedded database lock");
    db = createPrismaClient(databaseUrl);
    rolledBack = await seedDeploymentFixture(db, { repository: "payments-api", prNumber: 4242, samplesPerCohort: SAMPLES, ending: "rolled_back" });
    live = await seedDeploymentFixture(db, { repository: "payments-api", prNumber: 4243, samplesPerCohort: 60, evaluations: 3, ending: "canary" });
  });
  afterAll(async () => db?.$disconnect());

  it("lists the deployments with their status, pull request and run, and filters them", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 900 } });
    // The demo's simulated history has deployments of its own; the repository filter finds ours.
    await signInAs(page, session.app.url, "manager@flowgate.local", { callbackUrl: "/deployments?repository=payments-api" });
    await page.waitForURL(/\/deployments/);
    await expect.poll(() => page.getByLabel("Repository").inputValue(), { timeout: 20_000 }).toBe("payments-api");
    const row = page.locator('[data-testid="deployment-row"]', { hasText: "payments-api #4242" }).filter({ has: page.getByText("production", { exact: true }) });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    expect(await row.getAttribute("data-status")).toBe("rolled_back");
    expect(await row.innerText()).toContain(rolledBack.rollbackReason!);
    expect(await row.getByTestId("run-link").getAttribute("href")).toBe(`/runs/${rolledBack.runId}`);
    await page.screenshot({ path: path.join(artifactsDir, "deployments.png"), fullPage: true });

    // Our two runs have four deployments: staging and production each.
    await expect.poll(() => page.getByTestId("deployment-row").count()).toBe(4);
    await page.getByLabel("Status").selectOption("rolled_back");
    await expect.poll(() => page.getByTestId("deployment-row").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId("deployment-row").getAttribute("data-status")).toBe("rolled_back");
    expect(page.url()).toContain("status=rolled_back");
    expect(page.url()).toContain("repository=payments-api");

    await page.goto(`${session.app.url}/deployments?repository=no-such-repository`);
    await expect.poll(() => page.getByText("No deployments match these filters").count(), { timeout: 10_000 }).toBe(1);
    await page.close();
  });

  it("shows a rolled-back canary: why, with the numbers, against the baseline, on charts of 10,000 samples", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInAs(page, session.app.url, "auditor@flowgate.local", { callbackUrl: "/deployments?repository=payments-api" });
    await page.waitForURL(/\/deployments/);
    await page.locator('[data-testid="deployment-row"]', { hasText: "payments-api #4242" }).filter({ has: page.getByText("production", { exact: true }) }).getByRole("link", { name: /payments-api #4242/ }).click();
    await page.waitForURL(new RegExp(`/deployments/${rolledBack.canaryDeploymentId}$`));

    // Both cohorts drawn on both metric charts, and the weight as a line.
    const curves = (chart: string) => page.locator(`[data-testid="${chart}"] .recharts-line path.recharts-curve`);
    await expect.poll(() => curves("chart-error-rate").count(), { timeout: 20_000 }).toBe(2);
    // The error rate is drawn first; the other two follow.
    await expect.poll(() => curves("chart-p99").count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => curves("chart-weight").count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByTestId("chart-legend").innerText()).toMatch(/Canary[\s\S]*Baseline[\s\S]*Limit/);
    // Axis titles with units, the threshold lines and the rollback marker (Recharts draws their
    // labels in a layer of their own, so they are found as the chart's SVG text).
    const svgText = (chart: string, text: string) => page.locator(`[data-testid="${chart}"] svg text`, { hasText: text });
    for (const [chart, texts] of [
      ["chart-error-rate", ["errors (%)", "limit 0.5%", "rolled back"]],
      ["chart-p99", ["p99 (ms)", "limit 800 ms", "rolled back"]],
      ["chart-weight", ["weight (%)"]],
    ] as const) {
      for (const text of texts) expect(await svgText(chart, text).count(), `${chart}: ${text}`).toBe(1);
    }
    expect(await page.locator('[data-testid="chart-error-rate"] .recharts-reference-line').count()).toBe(2);
    expect(await page.getByTestId("outcome-marker-reason").innerText()).toContain(rolledBack.rollbackReason!);

    // The answer at a glance: the tripped metric, its number and limit, the canary beside the baseline.
    expect(await page.getByTestId("tripped-metric").innerText()).toMatch(/^error rate \d+(\.\d+)?% > limit 0\.5%$/);
    const versus = await page.getByTestId("canary-vs-baseline").innerText();
    // innerText as shown: the table's headings are upper-cased by CSS.
    expect(versus).toContain("BASELINE");
    expect(versus).toMatch(/error rate\s+\d+(\.\d+)?%\s+0\.1\d*%/);
    expect(versus).toContain("breach");

    // Evaluation markers by verdict; the failing one's tooltip carries its numbers.
    const markers = page.locator('[data-testid="chart-error-rate"] [data-testid="evaluation-marker"]');
    expect(await markers.count()).toBe(rolledBack.verdicts.length);
    await page.locator('[data-testid="chart-error-rate"] [data-testid="evaluation-marker"][data-verdict="fail"]').hover();
    const tooltip = page.getByTestId("evaluation-tooltip");
    await expect.poll(() => tooltip.isVisible(), { timeout: 5_000 }).toBe(true);
    const tooltipText = await tooltip.innerText();
    expect(tooltipText).toContain("error rate");
    expect(tooltipText).toContain("0.5%");
    expect(tooltipText).toContain("800 ms");

    // The line tooltip: canary and baseline of the same interval.
    const chartBox = (await page.locator('[data-testid="chart-p99"] .recharts-cartesian-grid').boundingBox())!;
    await page.mouse.move(chartBox.x + chartBox.width * 0.4, chartBox.y + chartBox.height / 2);
    const lineTooltip = page.locator('[data-testid="chart-p99"] .recharts-tooltip-wrapper');
    await expect.poll(() => lineTooltip.innerText(), { timeout: 5_000 }).toMatch(/Canary[\s\S]*ms[\s\S]*Baseline[\s\S]*ms/);

    // The staging comparison and the incident report.
    expect(await page.getByTestId("staging-metric").count()).toBe(2);
    const staging = await page.getByTestId("staging-comparison").innerText();
    expect(staging).toContain("error rate");
    expect(staging).toContain("p99 latency");
    const incident = await page.getByTestId("incident-report").innerText();
    expect(incident).toContain(rolledBack.incidentTitle!);
    expect(incident).toContain("src/capture.ts");
    expect(incident).toContain("#deploys");
    expect(await page.locator('[data-testid="deployment-step"][data-kind="rollback"]').count()).toBe(1);
    await page.screenshot({ path: path.join(artifactsDir, "deployment-rolled-back.png"), fullPage: true });

    // The raw samples, all of them, for export.
    const csvHref = await page.getByTestId("samples-csv").getAttribute("href");
    const csv = await page.request.get(`${session.app.url}${csvHref}`);
    expect(csv.status()).toBe(200);
    const lines = (await csv.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("cohort,at,error_rate_percent,p99_ms,requests");
    expect(lines).toHaveLength(1 + 2 * SAMPLES);
    await page.close();
  });

  it("follows a running canary live, without a reload", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(page, session.app.url, "reviewer@flowgate.local", { callbackUrl: `/deployments/${live.canaryDeploymentId}` });
    await page.waitForURL(new RegExp(`/deployments/${live.canaryDeploymentId}$`));
    await expect.poll(() => page.getByTestId("sample-note").innerText(), { timeout: 20_000 }).toContain("120 samples");
    expect(await page.getByTestId("deployment-status").first().innerText()).toBe("canary");

    const at = new Date();
    await db.metricSample.createMany({
      data: [
        { deploymentId: live.canaryDeploymentId, cohort: "canary", at, errorRate: 4.2, p99Ms: 350, requests: 420 },
        { deploymentId: live.canaryDeploymentId, cohort: "baseline", at, errorRate: 0.1, p99Ms: 320, requests: 8_000 },
      ],
    });
    await expect.poll(() => page.getByTestId("sample-note").innerText(), { timeout: 10_000 }).toContain("122 samples");

    await db.deploymentStep.create({
      data: { deploymentId: live.canaryDeploymentId, kind: "rollback", at: new Date(), weight: 0, verdict: "ok", summary: "Rolled back: error rate 4.2% > 0.5%", detail: { metric: "error_rate_percent", value: 4.2, threshold: 0.5, at: at.toISOString() } },
    });
    await db.deployment.update({ where: { id: live.canaryDeploymentId }, data: { status: "rolled_back", finishedAt: new Date(), rollbackReason: "error rate 4.2% > 0.5%" } });
    await expect.poll(() => page.getByTestId("deployment-status").first().innerText(), { timeout: 10_000 }).toBe("rolled back");
    expect(await page.getByTestId("tripped-metric").innerText()).toBe("error rate 4.2% > limit 0.5%");
    await page.close();
  });
});
