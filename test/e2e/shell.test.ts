import path from "node:path";
import { describe, expect, it } from "vitest";
import { artifactsDir, signInAs, useFlowgateInChromium } from "../support/browser";

describe("the app shell in Chromium", () => {
  const session = useFlowgateInChromium();

  it.each([
    ["admin", ["Board", "Inbox", "Deployments", "Metrics", "Audit", "Settings"]],
    ["reviewer", ["Board", "Inbox", "Deployments"]],
    ["manager", ["Board", "Deployments", "Metrics"]],
    ["auditor", ["Board", "Deployments", "Metrics", "Audit"]],
  ])("signs in as %s and shows that role's navigation", async (role, expectedNav) => {
    const context = await session.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${session.app.url}/board`);
    await page.waitForURL(/\/signin/);
    await signInAs(page, session.app.url, `${role}@flowgate.local`);
    await page.waitForURL(/\/board/);
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link").first().waitFor();
    expect(await nav.getByRole("link").allInnerTexts()).toEqual(expectedNav);
    await expect.poll(() => page.getByTestId("user-role").innerText()).toBe(role);
    await expect.poll(() => page.getByRole("heading", { name: "Board", level: 1 }).isVisible()).toBe(true);
    await page.screenshot({ path: path.join(artifactsDir, `shell-${role}.png`), fullPage: true });

    await page.getByRole("button", { name: /Ada|Rita|Mona|Otto/ }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    await context.close();
  });

  it("tells a person who mistypes their password, and keeps them on the sign-in page", async () => {
    const page = await session.browser.newPage();
    await signInAs(page, session.app.url, "admin@flowgate.local", { password: "not-the-password" });
    await expect.poll(() => page.locator("form [role=alert]").innerText()).toBe("Wrong email or password.");
    expect(page.url()).toContain("/signin");
    await page.close();
  });

  it("lets an admin create an API token in Settings and shows it once", async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInAs(page, session.app.url, "admin@flowgate.local", { callbackUrl: "/settings" });
    await page.waitForURL(/\/settings/);
    // The runner `npm start` started reports its sandbox.
    await expect
      .poll(async () => {
        const text = await page.getByTestId("runner-sandboxes").innerText();
        if (!text.includes("bubblewrap")) await page.reload();
        return text;
      }, { timeout: 20_000 })
      .toContain("tests pull requests in a bubblewrap sandbox");
    // An admin's access actions on a person, from the People table: disable, then enable again.
    const second = page.getByTestId("user-access-reviewer2@flowgate.local");
    await second.getByRole("button", { name: "Disable" }).click();
    await expect.poll(() => second.innerText(), { timeout: 15_000 }).toContain("disabled; sessions ended");
    await second.getByRole("button", { name: "Enable" }).click();
    await expect.poll(() => second.innerText(), { timeout: 15_000 }).toContain("enabled");
    expect(await page.getByTestId("user-access-admin@flowgate.local").getByRole("button", { name: "Disable" }).count()).toBe(0);
    expect(await page.getByTestId("sign-in-settings").innerText()).toMatch(/Local passwords\s+on\s+Single sign-on\s+not configured.*\s+GitHub\s+not configured/s);
    // The strict review policy: on, saved as a new version, off again (the demo runs keep the default).
    const strict = page.getByRole("checkbox", { name: /Strict: any change that deletes a condition/ });
    const version = Number((await page.getByTestId("policy-version").innerText()).replace(/\D/g, ""));
    expect(await strict.isChecked()).toBe(false);
    await strict.check();
    await page.getByRole("button", { name: "Save as new version" }).click();
    await expect.poll(() => page.getByTestId("policy-version").innerText(), { timeout: 15_000 }).toBe(`version ${version + 1}`);
    const saved = await (await fetch(`${session.app.url}/api/v1/policy`, { headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).json();
    expect(saved.policy.rules.review.escalateDeletedLogic).toBe(true);
    await strict.uncheck();
    await page.getByRole("button", { name: "Save as new version" }).click();
    await expect.poll(() => page.getByTestId("policy-version").innerText(), { timeout: 15_000 }).toBe(`version ${version + 2}`);
    await page.getByPlaceholder("ci-pipeline").fill("browser-ci");
    await page.getByRole("checkbox", { name: "runs:read" }).check();
    await page.getByRole("button", { name: "Create token" }).click();
    const token = await page.getByTestId("new-token").innerText();
    expect(token).toMatch(/^fgt_/);
    await expect.poll(() => page.getByRole("cell", { name: "browser-ci" }).isVisible(), { timeout: 15_000 }).toBe(true);
    await page.screenshot({ path: path.join(artifactsDir, "settings-tokens.png"), fullPage: true });
    const response = await fetch(`${session.app.url}/api/v1/runs`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    await context.close();
  });
});
