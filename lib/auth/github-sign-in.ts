import type { Provider } from "next-auth/providers/index";
import type { RuntimeEnv } from "../env";
import { parseRoleMap, type ExternalSignIn } from "./sso";

/**
 * Sign-in with GitHub (an OAuth app). A person's "groups" are their organizations and teams
 * ("acme" and "acme/platform-reviewers", from GET /user/teams, which needs read:org), mapped to roles
 * by FLOWGATE_GITHUB_ROLE_MAP on every sign-in. Their email is their primary verified GitHub email.
 * The URLs are configurable for GitHub Enterprise Server (and for the tests' fake GitHub).
 */
export interface GitHubSignInConfig extends ExternalSignIn {
  provider: "github";
  clientId: string;
  clientSecret: string;
  webUrl: string;
  apiUrl: string;
}

export function githubSignInConfigOf(config: RuntimeEnv, defaultRole: ExternalSignIn["defaultRole"]): GitHubSignInConfig | null {
  if (!config.FLOWGATE_GITHUB_CLIENT_ID) return null;
  if (!config.FLOWGATE_GITHUB_CLIENT_SECRET) throw new Error("FLOWGATE_GITHUB_CLIENT_ID is set: FLOWGATE_GITHUB_CLIENT_SECRET is required too");
  const webUrl = config.FLOWGATE_GITHUB_URL.replace(/\/$/, "");
  return {
    provider: "github",
    name: "GitHub",
    issuer: webUrl,
    clientId: config.FLOWGATE_GITHUB_CLIENT_ID,
    clientSecret: config.FLOWGATE_GITHUB_CLIENT_SECRET,
    webUrl,
    apiUrl: config.FLOWGATE_GITHUB_API_URL.replace(/\/$/, ""),
    roleMap: parseRoleMap(config.FLOWGATE_GITHUB_ROLE_MAP ?? "", "FLOWGATE_GITHUB_ROLE_MAP"),
    defaultRole,
  };
}

interface GitHubUser {
  id: number;
  login: string;
  name: string | null;
}
interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}
interface GitHubTeam {
  slug: string;
  organization: { login: string };
}

export function githubProvider(config: GitHubSignInConfig): Provider {
  const api = async <T>(path: string, token: string): Promise<T> => {
    const response = await fetch(`${config.apiUrl}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`GitHub answered ${response.status} for ${path}`);
    return (await response.json()) as T;
  };
  return {
    id: "github",
    name: "GitHub",
    type: "oauth",
    authorization: { url: `${config.webUrl}/login/oauth/authorize`, params: { scope: "read:user user:email read:org" } },
    token: `${config.webUrl}/login/oauth/access_token`,
    userinfo: {
      url: `${config.apiUrl}/user`,
      async request({ tokens }: { tokens: { access_token?: string } }) {
        const token = tokens.access_token ?? "";
        const [user, emails, teams] = await Promise.all([api<GitHubUser>("/user", token), api<GitHubEmail[]>("/user/emails", token), api<GitHubTeam[]>("/user/teams", token)]);
        const email = emails.find((e) => e.primary && e.verified)?.email ?? null;
        const groups = [...new Set(teams.flatMap((team) => [team.organization.login, `${team.organization.login}/${team.slug}`]))];
        return { ...user, email, groups };
      },
    },
    checks: ["state"],
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    profile(profile: GitHubUser & { email: string | null; groups: string[] }) {
      return { id: String(profile.id), email: (profile.email ?? "").toLowerCase(), name: profile.name ?? profile.login, groups: profile.groups };
    },
  } as unknown as Provider;
}
