import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort, runningInstanceDatabaseUrl } from "@/lib/db/embedded";
import { artifactsDir, useFlowgateInChromium } from "../support/browser";
import { runScript } from "../support/flowgate-process";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github-oauth";
import { startOidcProvider, type FakeIdentityProvider } from "../support/oidc-provider";
import type { Page } from "playwright-core";
import path from "node:path";

let idp: FakeIdentityProvider;
let github: FakeGitHub;

/**
 * Single sign-on against a real OpenID Connect provider on 127.0.0.1, in Chromium: the
 * authorization-code flow with PKCE, a person's role from their groups, a person in no mapped group
 * refused, and a changed group changing the role at the next sign-in; and GitHub sign-in against
 * a fake GitHub speaking its OAuth and REST formats. Local passwords are off.
 */
describe("single sign-on through the company's identity provider", () => {
  const session = useFlowgateInChromium(async () => {
    const port = await findFreePort();
    idp = await startOidcProvider({
      redirectUri: `http://localhost:${port}/api/auth/callback/oidc`,
      people: {
        ana: { email: "ana@corp.example", name: "Ana Reviewer", groups: ["engineering", "flowgate-reviewers"] },
        max: { email: "max@corp.example", name: "Max Outsider", groups: ["sales"] },
      },
    });
    github = await startFakeGitHub({
      octo: {
        id: 583231,
        login: "octo",
        name: "Octo Cat",
        emails: [
          { email: "octo@users.noreply.github.com", primary: false, verified: true, visibility: null },
          { email: "octo@corp.example", primary: true, verified: true, visibility: "private" },
        ],
        teams: [{ org: "acme", slug: "platform-reviewers" }],
      },
      stranger: { id: 99, login: "stranger", name: "Stranger", emails: [{ email: "stranger@example.org", primary: true, verified: true, visibility: "public" }], teams: [{ org: "other-org", slug: "everyone" }] },
    });
    return {
      port,
      env: {
        FLOWGATE_GITHUB_CLIENT_ID: github.clientId,
        FLOWGATE_GITHUB_CLIENT_SECRET: github.clientSecret,
        FLOWGATE_GITHUB_URL: github.url,
        FLOWGATE_GITHUB_API_URL: github.apiUrl,
        FLOWGATE_GITHUB_ROLE_MAP: "acme/platform-admins=admin,acme/platform-reviewers=reviewer",
        FLOWGATE_OIDC_ISSUER: idp.issuer,
        FLOWGATE_OIDC_CLIENT_ID: idp.clientId,
        FLOWGATE_OIDC_CLIENT_SECRET: idp.clientSecret,
        FLOWGATE_OIDC_NAME: "Corp SSO",
        FLOWGATE_SSO_ROLE_MAP: "flowgate-admins=admin,flowgate-reviewers=reviewer,flowgate-auditors=auditor",
        FLOWGATE_SSO_DEFAULT_ROLE: "deny",
        FLOWGATE_LOCAL_PASSWORDS: "off",
      },
    };
  });
  afterAll(async () => {
    await idp?.close();
    await github?.close();
  });

  /** Through Flowgate's sign-in page and the identity provider's login and consent pages. */
  async function signInThroughIdp(page: Page, login: string) {
    await page.goto(`${session.app.url}/signin?callbackUrl=%2Fboard`);
    expect(await page.locator("input[name=password]").count()).toBe(0); // local passwords are off
    await page.getByRole("button", { name: "Sign in with Corp SSO" }).click();
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    await page.locator("input[name=login]").fill(login);
    await page.locator("input[name=password]").fill("any");
    await page.locator("button[type=submit]").click();
    // Then the identity provider's consent page, the first time this person signs in to Flowgate.
    await page.waitForURL((url) => url.href.startsWith(session.app.url) || /\/interaction\/[^/]+$/.test(url.pathname), { timeout: 30_000 });
    if (!page.url().startsWith(session.app.url)) {
      await page.locator("button[type=submit]").first().click();
      await page.waitForURL((url) => url.href.startsWith(session.app.url), { timeout: 30_000 });
    }
  }

  /** One query against the running Flowgate's database. */
  async function sql(text: string, params: unknown[] = []) {
    const client = new pg.Client({ connectionString: runningInstanceDatabaseUrl(session.app.dataDir)! });
    await client.connect();
    try {
      return (await client.query(text, params)).rows;
    } finally {
      await client.end();
    }
  }
  const roleOf = async (email: string) => (await sql(`SELECT role::text FROM "User" WHERE email = $1`, [email]))[0]?.role ?? null;

  it("signs a reviewer in with the role their group grants, creating them on first sign-in", async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInThroughIdp(page, "ana");
    await page.waitForURL(/\/board/);
    expect(await roleOf("ana@corp.example")).toBe("reviewer");
    // The inbox is a reviewer's page; Settings is not.
    await page.goto(`${session.app.url}/inbox`);
    expect(await page.getByText("is not available to the").count()).toBe(0);
    await page.goto(`${session.app.url}/settings`);
    expect(await page.getByText("Settings is not available to the reviewer role").count()).toBe(1);
    await page.screenshot({ path: path.join(artifactsDir, "sso-reviewer.png") });
    await context.close();
  });

  it("refuses a person in no mapped group, and says why", async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInThroughIdp(page, "max");
    await page.waitForURL(/\/signin\?.*error=AccessDenied/);
    expect(await page.locator("p[role=alert]").innerText()).toContain("none of your groups or teams grants a Flowgate role");
    expect(await roleOf("max@corp.example")).toBeNull();
    await context.close();
  });

  it("changes the role at the next sign-in when the group changes at the identity provider", async () => {
    idp.people.ana.groups = ["engineering", "flowgate-auditors"];
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await signInThroughIdp(page, "ana");
    await page.waitForURL(/\/board/);
    expect(await roleOf("ana@corp.example")).toBe("auditor");
    await page.goto(`${session.app.url}/audit`);
    expect(await page.getByText("is not available to the").count()).toBe(0);
    const actions = (await sql(`SELECT action FROM "AuditEvent" WHERE action IN ('user.created', 'user.role_changed', 'sso.role_mapping_applied', 'sign_in.succeeded', 'sign_in.failed') AND (content::jsonb)->'payload'->>'email' LIKE '%@corp.example' ORDER BY sequence`)).map((r) => r.action);
    expect(actions).toEqual(["user.created", "sso.role_mapping_applied", "sign_in.succeeded", "sign_in.failed", "user.role_changed", "sso.role_mapping_applied", "sign_in.succeeded"]);

    // Disabling an SSO user ends their session at once, as it does for a password user.
    expect((await page.request.get(`${session.app.url}/api/v1/me`)).status()).toBe(200);
    const disabled = await runScript("ctl.ts", ["user", "update", "--email", "ana@corp.example", "--disable"], { FLOWGATE_DATA_DIR: session.app.dataDir });
    expect(disabled.code, disabled.stderr).toBe(0);
    expect((await page.request.get(`${session.app.url}/api/v1/me`)).status()).toBe(401);
    await context.close();
  });

  it("signs in with GitHub: the primary verified email, the role from an organization team; others refused", async () => {
    for (const [login, expected] of [["octo", "reviewer"], ["stranger", null]] as const) {
      const context = await session.browser.newContext();
      const page = await context.newPage();
      await page.goto(`${session.app.url}/signin?callbackUrl=%2Fboard`);
      await page.getByRole("button", { name: "Sign in with GitHub" }).click();
      await page.waitForURL((url) => url.href.startsWith(github.url));
      await page.getByRole("link", { name: `Authorize as ${login}` }).click();
      await page.waitForURL((url) => url.href.startsWith(session.app.url), { timeout: 30_000 });
      if (expected) {
        await page.waitForURL(/\/board/);
        expect(await roleOf("octo@corp.example")).toBe(expected);
      } else {
        await page.waitForURL(/\/signin\?.*error=AccessDenied/);
        expect(await roleOf("stranger@example.org")).toBeNull();
      }
      await context.close();
    }
    expect([...new Set(github.apiCalls)].sort()).toEqual(["/api/user", "/api/user/emails", "/api/user/teams"]);
  });
});
