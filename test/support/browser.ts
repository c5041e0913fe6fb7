import type { Page } from "playwright-core";
import { DEMO_PASSWORD } from "@/lib/db/bootstrap";

/** Signs in through the sign-in form as a demo account, as a person would. */
export async function signInAs(page: Page, baseUrl: string, email: string, options: { callbackUrl?: string; password?: string } = {}) {
  await page.goto(`${baseUrl}/signin${options.callbackUrl ? `?callbackUrl=${encodeURIComponent(options.callbackUrl)}` : ""}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(options.password ?? DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}
