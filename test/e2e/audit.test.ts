import path from "node:path";
import { describe, expect, it } from "vitest";
import { demoBranches } from "@/scripts/lib/demo-repository";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";

const DEMO_REVIEWS = demoBranches.length;

describe("the audit page and a change record in Chromium", () => {
  const session = useFlowgateInChromium();

  it("lets an auditor check the chain, filter to agent decisions, read one, and open its change record", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInAs(page, session.app.url, "auditor@flowgate.local");
    await page.waitForURL(/\/board/);

    // The runner reviews the demo pull requests in the background; wait until all are decided.
    const decided = async () => {
      const response = await page.request.get(`${session.app.url}/api/v1/audit/events?action=stage.decided`);
      return ((await response.json()) as { events: unknown[] }).events.length;
    };
    await expect.poll(decided, { timeout: 60_000 }).toBeGreaterThanOrEqual(DEMO_REVIEWS);

    const invalid = await page.request.get(`${session.app.url}/api/v1/audit/events?limit=999&action=drop%20table`);
    expect(invalid.status()).toBe(422);
    const fields = ((await invalid.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path);
    expect(fields.sort()).toEqual(["action", "limit"]);

    await page.goto(`${session.app.url}/audit`);
    const chain = page.getByTestId("chain-status");
    await expect.poll(() => chain.getAttribute("data-state"), { timeout: 20_000 }).toBe("verified");
    expect(await chain.innerText()).toMatch(/Chain verified through event #\d+/);

    // A full verification runs in the background; the banner follows it and then shows its verdict.
    await page.getByRole("button", { name: "Verify full chain" }).click();
    await expect.poll(async () => (await chain.innerText()).includes("Last full verification"), { timeout: 30_000 }).toBe(true);
    expect(await chain.getAttribute("data-state")).toBe("verified");
    const status = (await (await page.request.get(`${session.app.url}/api/v1/audit/verify`)).json()) as { ok: boolean; startedFrom: { mode: string } | null; lastFull: { status: string } };
    expect(status).toMatchObject({ ok: true, startedFrom: { mode: expect.any(String) }, lastFull: { status: "verified" } });

    // Export links for the current filter, the period summary and a sample bundle.
    const exports = page.getByTestId("audit-exports");
    expect(await exports.getByRole("link", { name: "CSV" }).getAttribute("href")).toBe("/api/v1/audit/export?format=csv");
    const summaryHref = await exports.getByRole("link", { name: "Period summary (PDF)" }).getAttribute("href");
    const summary = await page.request.get(`${session.app.url}${summaryHref}`);
    expect(summary.status()).toBe(200);
    expect(summary.headers()["content-type"]).toBe("application/pdf");
    expect((await summary.body()).subarray(0, 5).toString()).toBe("%PDF-");
    await exports.getByLabel("Seed (blank: random)").fill("e2e-seed");
    const sampleHref = await exports.getByRole("link", { name: "Sample bundle (zip)" }).getAttribute("href");
    expect(sampleHref).toContain("seed=e2e-seed");
    const sample = await page.request.get(`${session.app.url}${sampleHref}`);
    expect(sample.status()).toBe(200);
    expect(sample.headers()).toMatchObject({ "content-type": "application/zip", "x-sample-seed": "e2e-seed" });

    await page.getByLabel("Action (prefix with *)").fill("stage.decided");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const rows = page.getByTestId("audit-event");
    await expect.poll(() => page.locator('[data-testid="audit-event"]:not([data-action="stage.decided"])').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(DEMO_REVIEWS);
    expect(page.url()).toContain("action=stage.decided");

    // Every stage decides; the review agent's decisions carry the review rationale.
    const first = rows.filter({ hasText: "review agent" }).first();
    await first.getByRole("button", { name: /^Show event/ }).click();
    const rationale = first.getByTestId("event-rationale");
    await expect.poll(() => rationale.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await rationale.innerText()).toContain("Heuristic review");
    expect(await first.getByTestId("event-detail").innerText()).toContain("hash matches the content");
    await page.screenshot({ path: path.join(artifactsDir, "audit.png"), fullPage: true });

    await first.getByTestId("change-record-link").click();
    await page.waitForURL(/\/audit\/changes\//);
    const record = page.getByTestId("change-record");
    await expect.poll(() => record.isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.getByTestId("change-chain-status").getAttribute("data-state")).toBe("verified");
    expect(await page.getByTestId("review-rationale").first().innerText()).toContain("Heuristic review");
    const review = await page.locator("#review").innerText();
    expect(review).toContain("heuristic");
    expect(review).toMatch(/Risk score\s*\d+/);
    // Every stage has an agent now: validation either ran or has not been reached, and says which.
    expect(await page.getByTestId("stage-note-validation").innerText()).toMatch(/^(not run yet|not run: the run ended .* before this stage|passed: .+)$/);
    await page.screenshot({ path: path.join(artifactsDir, "change-record.png"), fullPage: true });

    const runId = new URL(page.url()).pathname.split("/").at(-1);
    const api = await page.request.get(`${session.app.url}/api/v1/audit/changes/${runId}`);
    expect(api.status()).toBe(200);
    const { record: json } = (await api.json()) as { record: { review: { decisions: { provider: string; events: string[] }[] } } };
    expect(json.review.decisions[0]).toMatchObject({ provider: "heuristic", events: [expect.stringMatching(/^\d+$/)] });
    expect((await page.request.get(`${session.app.url}/api/v1/audit/changes/no-such-run`)).status()).toBe(404);

    // The change record's own downloads: its PDF decision report and its events.
    const recordExports = page.getByTestId("change-record-exports");
    const reportHref = await recordExports.getByRole("link", { name: "PDF decision report" }).getAttribute("href");
    expect(reportHref).toBe(`/api/v1/audit/export?format=pdf&runId=${runId}`);
    const report = await page.request.get(`${session.app.url}${reportHref}`);
    expect(report.status()).toBe(200);
    expect(report.headers()["content-type"]).toBe("application/pdf");
    expect(report.headers()["content-disposition"]).toMatch(/^attachment; filename="flowgate-decision-report-.*\.pdf"$/);
    const eventsHref = await recordExports.getByRole("link", { name: "Events (JSON Lines)" }).getAttribute("href");
    const events = await page.request.get(`${session.app.url}${eventsHref}`);
    expect(events.status()).toBe(200);
    const lines = (await events.text()).trimEnd().split("\n").map((line) => JSON.parse(line) as { runId: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(new Set(lines.map((l) => l.runId))).toEqual(new Set([runId]));
    expect((await page.request.get(`${session.app.url}/api/v1/audit/export?format=pdf&runId=no-such-run`)).status()).toBe(404);
    await page.close();
  });

  it("shows a reviewer's approval in the change record, with proof the approver was not the author", async () => {
    const reviewer = await session.browser.newPage();
    await signInAs(reviewer, session.app.url, "reviewer@flowgate.local");
    await reviewer.waitForURL(/\/board/);
    const inbox = (await (await reviewer.request.get(`${session.app.url}/api/v1/escalations`)).json()) as { items: { id: string; runId: string; reasons: string[] }[] };
    // One approval settles it unless the policy asks for two (schema changes).
    const escalation = inbox.items.find((item) => !item.reasons.includes("schema_change"))!;
    const decided = await reviewer.request.post(`${session.app.url}/api/v1/escalations/${escalation.id}/decision`, {
      data: { decision: "approve", rationale: "Read the change and the findings; the risk is understood and accepted." },
    });
    expect(decided.status()).toBe(200);
    await reviewer.close();

    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInAs(page, session.app.url, "auditor@flowgate.local");
    await page.waitForURL(/\/board/);
    await page.goto(`${session.app.url}/audit/changes/${escalation.runId}`);
    const proof = page.getByTestId("approver-not-author");
    await expect.poll(() => proof.count(), { timeout: 20_000 }).toBe(1);
    expect(await proof.innerText()).toMatch(/✓ decider reviewer@flowgate\.local ≠ pull request author \S+@demo-shop\.dev/);
    const approvals = await page.locator("#approvals").innerText();
    expect(approvals).toContain("Read the change and the findings");
    expect(approvals).toContain("matches the package the escalation stored");
    await page.screenshot({ path: path.join(artifactsDir, "change-record-approved.png"), fullPage: true });
    await page.close();
  });

  it("answers who held which role and who signed in, from the audit log, with a CSV for the evidence folder", async () => {
    const page = await session.browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signInAs(page, session.app.url, "auditor@flowgate.local", { callbackUrl: "/audit" });
    await page.waitForURL(/\/audit/);
    await page.getByRole("link", { name: /^Access: who held which role when/ }).click();
    await page.waitForURL(/\/audit\/access/);
    const holders = page.getByTestId("access-holders");
    expect(await holders.innerText()).toMatch(/reviewer@flowgate\.local\s+reviewer\s+yes/);
    expect(await holders.innerText()).toMatch(/manager@flowgate\.local\s+manager\s+no/);
    // This very sign-in is among the access events.
    expect(await page.getByTestId("access-events").innerText()).toMatch(/sign_in\.succeeded\s+auditor@flowgate\.local/);
    // Before anyone existed, nobody held a role.
    await page.locator("input[name=at]").fill("2020-01-01T00:00");
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.getByText("Nobody had an account then").count()).toBe(1);
    // The period the form sent back still holds this sign-in (its end includes its whole minute).
    expect(await page.getByTestId("access-events").innerText()).toContain("sign_in.succeeded");
    const csv = await page.request.get(`${session.app.url}/api/v1/access?format=csv&what=events`);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect(await csv.text()).toMatch(/^occurredAt,action,actor,email,address,detail,sequence\n.*sign_in\.succeeded/s);
    await page.screenshot({ path: path.join(artifactsDir, "audit-access.png"), fullPage: true });
    await page.close();
  });
});
