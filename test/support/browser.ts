import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { DEMO_PASSWORD } from "@/lib/db/bootstrap";
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
}

/**
 * Starts a Flowgate (npm start's own script, on its own data directory) and a headless Chromium
 * for the enclosing describe block, and stops both after it. Fields are set in beforeAll.
 */
export function useFlowgateInChromium(): BrowserSession {
  const session = {} as BrowserSession;
  beforeAll(async () => {
    fs.mkdirSync(artifactsDir, { recursive: true });
    session.app = await startFlowgate();
    session.browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.app?.stop();
  });
  return session;
}
