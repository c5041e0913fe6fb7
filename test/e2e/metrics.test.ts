import path from "node:path";
import { describe, expect, it } from "vitest";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";

const cardKeys = ["lead_time", "escalation_rate", "false_escalations", "rollback_rate", "change_failure_rate", "deployment_frequency", "time_to_restore"];

describe("the metrics page in Chromium", () => {
  const session = useFlowgateInChromium();

  it("shows a manager populated, explained metrics; a filter changes them and a number opens its runs", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInAs(page, session.app.url, "manager@flowgate.local", { callbackUrl: "/metrics?period=90d" });
    await page.waitForURL((url) => url.pathname === "/metrics");

    // Cards for every headline number, from the demo's simulated history, with their definitions.
    for (const key of cardKeys) await page.getByTestId(`metric-card-${key}`).waitFor({ timeout: 30_000 });
    const leadValue = () => page.getByTestId("metric-card-lead_time").getByTestId("metric-value").innerText();
    expect(await leadValue()).toMatch(/^\d+(\.\d)?[mhd]$/);
    expect(await page.getByTestId("metric-card-deployment_frequency").getByTestId("metric-value").innerText()).toMatch(/\/day$/);
    expect(await page.getByTestId("simulated-note").innerText()).toContain("simulate-history --delete");
    expect(await page.locator("#definition-change_failure_rate").innerText()).toContain("Four Keys");
    // Recharts drew the trends (an SVG with a line for the median lead time).
    await expect.poll(() => page.getByTestId("chart-lead-time").locator("svg.recharts-surface path.recharts-curve").count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId("stage-table").locator("tr[data-slowest=true]").count()).toBe(1);
    await page.screenshot({ path: path.join(artifactsDir, "metrics.png"), fullPage: true });

    // A repository filter changes the numbers (and lands in the URL, so links keep it).
    const basisText = () => page.getByTestId("metric-card-lead_time").getByTestId("metric-drill-down").innerText();
    const allRepositories = await basisText();
    await page.getByLabel("Repository").selectOption("sim-payments");
    await page.waitForURL(/repository=sim-payments/);
    await expect.poll(basisText, { timeout: 15_000 }).not.toBe(allRepositories);

    // A number links to the runs behind it: as many rows as the card says.
    const failures = page.getByTestId("metric-card-change_failure_rate").getByTestId("metric-drill-down");
    const stated = Number(/^(\d+) of/.exec(await failures.innerText())![1]);
    expect(stated).toBeGreaterThan(0);
    await failures.click();
    await page.waitForURL(/\/metrics\/runs\?.*set=change_failures/);
    expect(page.url()).toContain("repository=sim-payments");
    await expect.poll(() => page.getByTestId("drill-down-row").count(), { timeout: 15_000 }).toBe(Math.min(stated, 200));
    expect(await page.getByTestId("drill-down-row").first().innerText()).toContain("simulated");
    await page.screenshot({ path: path.join(artifactsDir, "metrics-drill-down.png"), fullPage: true });
    await page.getByTestId("drill-down-row").first().getByRole("link").click();
    await page.waitForURL(/\/runs\/[^/]+$/);

    // The displayed series as CSV, with the same filters.
    const csv = await page.request.get(`${session.app.url}/api/v1/metrics/export?period=90d&repository=sim-payments`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect((await csv.text()).split("\r\n")[0]).toMatch(/^bucket,runs_started,/);
    await page.close();
  });

  it("keeps the page from a reviewer, whose role has no metrics", async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInAs(page, session.app.url, "reviewer@flowgate.local", { callbackUrl: "/metrics" });
    await page.waitForURL((url) => url.pathname === "/metrics");
    await expect.poll(() => page.getByText("Metrics is not available to the reviewer role").count(), { timeout: 15_000 }).toBe(1);
    expect((await page.request.get(`${session.app.url}/api/v1/metrics`)).status()).toBe(403);
    await context.close();
  });

  it("hides the simulated history on the board unless asked", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1600, height: 900 } });
    await signInAs(page, session.app.url, "manager@flowgate.local");
    await page.waitForURL(/\/board/);
    const toggle = page.getByLabel(/Show \d+ simulated runs/);
    await toggle.waitFor({ timeout: 30_000 });
    expect(await page.getByText("simulated", { exact: true }).count()).toBe(0);
    await toggle.check();
    await expect.poll(() => page.getByText("simulated", { exact: true }).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.close();
  });
});
