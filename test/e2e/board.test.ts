import path from "node:path";
import { describe, expect, it } from "vitest";
import { demoBranches } from "@/scripts/lib/demo-repository";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";
import { runScript } from "../support/flowgate-process";

describe("the board and the run page in Chromium", () => {
  const session = useFlowgateInChromium();

  it("shows the demo runs in their columns, and a new run appears without a reload", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1600, height: 900 } });
    await signInAs(page, session.app.url, "reviewer@flowgate.local");
    await page.waitForURL(/\/board/);
    const escalated = page.locator('section[data-column="escalated"] [data-testid="run-card"]');
    const count = (status: string) => demoBranches.filter((b) => b.ends.status === status).length;
    await expect.poll(() => escalated.count(), { timeout: 150_000 }).toBe(count("escalated"));
    const finished = page.locator('section[data-column="finished"] [data-testid="run-card"]');
    await expect.poll(() => finished.count(), { timeout: 150_000 }).toBe(count("done") + count("failed") + count("rolled_back"));
    await page.screenshot({ path: path.join(artifactsDir, "board.png"), fullPage: true });

    // Submit a new pull request from the demo repository while the page stays open.
    const repo = path.join(session.app.dataDir, "demo-shop");
    const submitted = await runScript("ctl.ts", ["submit", "--repo", repo, "--base", "main", "--head", "feature/order-total-format", "--number", "42", "--title", "Live update check"], {
      FLOWGATE_DATA_DIR: session.app.dataDir,
    });
    expect(submitted.code, submitted.stderr).toBe(0);
    await expect.poll(() => page.getByText("Live update check").count(), { timeout: 10_000 }).toBe(1);
    await page.close();
  }, 240_000);

  it("opens a run and shows the decision with its findings, provider and audit events", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(page, session.app.url, "auditor@flowgate.local");
    await page.waitForURL(/\/board/);
    await page.getByText("Refund orders through Stripe").click();
    await page.waitForURL(/\/runs\//);
    await expect.poll(() => page.getByTestId("run-status").innerText()).toBe("escalated");
    const body = await page.locator("main").innerText();
    expect(body).toContain("Heuristic review (no LLM configured)");
    expect(body).toContain("src/refunds.js:1");
    expect(body).toContain("provider heuristic");
    expect(body).toContain("stage.decided");
    // The decision and its findings never repeat the secret (the diff itself shows the code as it is).
    const timeline = await page.locator("section", { has: page.getByRole("heading", { name: "Timeline" }) }).innerText();
    expect(timeline).toContain("src/refunds.js:1");
    expect(timeline).not.toContain("sk_live_51HxDemo");
    await page.screenshot({ path: path.join(artifactsDir, "run-page.png"), fullPage: true });
    await page.close();
  });
});
