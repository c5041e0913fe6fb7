import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInAs, useFlowgateInChromium } from "../support/browser";

/**
 * Clickjacking: another site loads Flowgate in an invisible frame over its own bait and lets a
 * signed-in reviewer press Approve. Chromium must refuse to render any Flowgate page in a frame of
 * another origin (X-Frame-Options: DENY and CSP frame-ancestors 'none').
 */
describe("Flowgate inside another site's frame", () => {
  const session = useFlowgateInChromium();
  let attacker: http.Server;
  let attackerUrl: string;

  beforeAll(async () => {
    attacker = http.createServer((req, res) => {
      const target = new URL(req.url ?? "/", "http://attacker").searchParams.get("target") ?? "/signin";
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><title>Win a prize</title><button id="bait">Claim</button><iframe id="victim" src="${session.app.url}${target}" style="opacity:0.01;position:absolute;top:0;left:0;width:1200px;height:900px"></iframe>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(() => attacker?.close());

  it.each(["/signin", "/inbox", "/board"])("refuses to render %s in a frame of another origin, even for a signed-in reviewer", async (target) => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInAs(page, session.app.url, "reviewer@flowgate.local", { callbackUrl: "/inbox" });
    await page.waitForURL(/\/inbox/);
    const refusals: string[] = [];
    page.on("console", (message) => {
      if (/frame-ancestors|X-Frame-Options/i.test(message.text())) refusals.push(message.text());
    });
    await page.goto(`${attackerUrl}/?target=${encodeURIComponent(target)}`);
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBeGreaterThan(0);
    // The frame holds Chromium's error page, not Flowgate: no form, no button, no inbox.
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    const text = await frame.evaluate(() => document.body?.innerText ?? "").catch(() => "");
    expect(text).not.toMatch(/Sign in|Inbox|Approve|Board/);
    expect(await frame.locator("button").count().catch(() => 0)).toBe(0);
    await context.close();
  });

  it("refuses markup injected into a page from running script, and the violation is seen", async () => {
    const page = await session.browser.newPage();
    await page.goto(`${session.app.url}/signin`);
    // What an HTML injection would smuggle in: an inline event handler (no nonce can cover it).
    await page.evaluate(() => {
      document.body.insertAdjacentHTML("beforeend", '<img src="/no-such-image.png" onerror="window.__injected = true">');
    });
    // The session's watcher sees the refusal (so a violation on any other page fails the suite);
    // this one was made on purpose, so it is taken off the list afterwards.
    await expect.poll(() => session.cspViolations.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
    expect(session.cspViolations.join("\n")).toMatch(/Content Security Policy/);
    session.cspViolations.length = 0;
    await page.close();
  });
});
