import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { DEMO_PASSWORD } from "@/lib/users/demo-users";
import { chromiumArgs, chromiumPath } from "./chromium";
import { startFlowgate, type FlowgateProcess } from "./flowgate-process";

/** Signs in through the sign-in form as a demo account, as a person would. */
export async function signInAs(page: Page, baseUrl: string, email: string, options: { callbackUrl?: string; password?: string } = {}) {
  await page.goto(`${baseUrl}/signin${options.callbackUrl ? `?callbackUrl=${encodeURIComponent(options.callbackUrl)}` : ""}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(options.password ?? DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export const artifactsDir = path.resolve("test-results");

export interface BrowserSession {
  app: FlowgateProcess;
  browser: Browser;
  /** Content-Security-Policy violations reported by Flowgate's pages; the session fails on any. */
  cspViolations: string[];
}

const CSP_VIOLATION = /Content Security Policy|Refused to (?:load|execute|apply|connect|evaluate|frame|display)/i;

/**
 * Every page of the browser reports CSP violations (Chromium logs them to the console): each page
 * of Flowgate's origin must run under its policy without one. Pages of other origins (a test's
 * attacker page) are not counted.
 */
function watchForCspViolations(browser: Browser, appUrl: string, violations: string[]) {
  const origin = new URL(appUrl).origin;
  const watched = new WeakSet<Page>();
  const watch = (page: Page) => {
    if (watched.has(page)) return;
    watched.add(page);
    page.on("console", (message) => {
      if (!CSP_VIOLATION.test(message.text())) return;
      const url = page.url();
      if (url.startsWith(origin) || url.startsWith(origin.replace("localhost", "127.0.0.1"))) violations.push(`${url}: ${message.text()}`);
    });
  };
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    context.on("page", watch);
    return context;
  };
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (...args) => {
    const page = await newPage(...args);
    watch(page);
    return page;
  };
}

/**
 * Starts a Flowgate (npm start's own script, on its own data directory) and a headless Chromium
 * for the enclosing describe block, and stops both after it. Fields are set in beforeAll.
 */
export function useFlowgateInChromium(options: () => Promise<Parameters<typeof startFlowgate>[0]> = async () => ({})): BrowserSession {
  const session = {} as BrowserSession;
  beforeAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    session.app = await startFlowgate(await options());
    session.browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
    session.cspViolations = [];
    watchForCspViolations(session.browser, session.app.url, session.cspViolations);
  });
  afterAll(async () => {
    expect(session.cspViolations ?? []).toEqual([]);
    await session.browser?.close();
    await session.app?.stop();
  });
  return session;
}
