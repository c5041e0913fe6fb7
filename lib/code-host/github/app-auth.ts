import { createPrivateKey } from "node:crypto";
import { App } from "@octokit/app";
import { CodeHostError } from "../code-host-errors";
import { codeHostErrorFrom } from "./github-errors";
import { DEFAULT_LIMITS, GitHubOctokit, gitHubOctokitOptions, type GitHubClientLimits, type GitHubLog } from "./octokit";

/**
 * GitHub App authentication (ADR 018): the App's JWT (RS256, signed by @octokit/auth-app through
 * @octokit/app) is used only to mint installation access tokens; tokens are cached per
 * installation (and per repository scope) until less than the refresh margin remains before the
 * `expires_at` GitHub returned. Neither the key nor a token is ever logged or put in an error.
 */

export interface GitHubAppCredentials {
  appId: string | number;
  /** The App's PEM private key (PKCS#1 as GitHub hands it out, or PKCS#8; `\n` escapes accepted). */
  privateKey: string;
  /** The REST API root: https://api.github.com, https://<GHES host>/api/v3, or a test server. */
  baseUrl: string;
}

export interface GitHubAppAuthOptions {
  /** The clock the token cache reads (ms since the epoch); tests move it. */
  now?: () => number;
  /** Refresh a cached token when less than this remains (default 5 minutes). */
  refreshMarginMs?: number;
  limits?: GitHubClientLimits;
  log: GitHubLog;
}

/** Narrows a token below the installation's grant. */
export interface TokenScope {
  /** One repository's name (without the owner): the token reaches nothing else. */
  repository?: string;
  permissions?: Record<string, "read" | "write">;
}

export interface InstallationToken {
  token: string;
  expiresAt: Date;
}

export interface GitHubAppAuth {
  appId: string;
  /** A fresh App JWT (ten minutes at most). */
  appJwt(): Promise<string>;
  /** A cached or newly minted installation token. Throws CodeHostError (401 when GitHub refuses the JWT). */
  installationToken(installationId: string, scope?: TokenScope): Promise<InstallationToken>;
  /** Drops cached tokens of an installation (after GitHub refused one before its expiry). */
  forget(installationId: string): void;
}

export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

function validPrivateKey(pem: string): string {
  const key = pem.replace(/\\n/g, "\n");
  try {
    const parsed = createPrivateKey(key);
    if (parsed.asymmetricKeyType !== "rsa") throw new Error("not RSA");
  } catch {
    // The key's text stays out of the message.
    throw new CodeHostError("The GitHub App private key is not a PEM RSA private key");
  }
  return key;
}

function cacheKey(installationId: string, scope: TokenScope | undefined): string {
  const permissions = Object.entries(scope?.permissions ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, level]) => `${name}:${level}`)
    .join(",");
  return `${installationId}|${scope?.repository ?? "*"}|${permissions}`;
}

export function createGitHubAppAuth(credentials: GitHubAppCredentials, options: GitHubAppAuthOptions): GitHubAppAuth {
  const appId = String(credentials.appId);
  if (!/^\d+$/.test(appId)) throw new CodeHostError("The GitHub App id must be a number");
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS;
  const app = new App({
    appId,
    privateKey: validPrivateKey(credentials.privateKey),
    Octokit: GitHubOctokit.defaults(gitHubOctokitOptions(credentials.baseUrl, options.limits ?? DEFAULT_LIMITS, options.log)),
  });
  const cache = new Map<string, InstallationToken>();
  const minting = new Map<string, Promise<InstallationToken>>();

  async function mint(installationId: string, scope: TokenScope | undefined): Promise<InstallationToken> {
    try {
      const { data } = await app.octokit.request("POST /app/installations/{installation_id}/access_tokens", {
        installation_id: Number(installationId),
        ...(scope?.repository ? { repositories: [scope.repository] } : {}),
        ...(scope?.permissions ? { permissions: scope.permissions } : {}),
      });
      const expiresAt = new Date(data.expires_at);
      if (Number.isNaN(expiresAt.getTime())) throw new CodeHostError("GitHub returned an installation token without a valid expires_at");
      options.log.debug({ installationId, repository: scope?.repository ?? null, expiresAt: data.expires_at }, "GitHub installation token minted");
      return { token: data.token, expiresAt };
    } catch (error) {
      throw codeHostErrorFrom(error, `Minting an installation token for installation ${installationId}`);
    }
  }

  return {
    appId,
    async appJwt() {
      const authentication = (await app.octokit.auth({ type: "app" })) as { token: string };
      return authentication.token;
    },
    async installationToken(installationId, scope) {
      if (!/^\d+$/.test(installationId)) throw new CodeHostError(`Not a GitHub installation id: ${JSON.stringify(installationId.slice(0, 40))}`);
      const key = cacheKey(installationId, scope);
      const cached = cache.get(key);
      if (cached && cached.expiresAt.getTime() - now() > margin) return cached;
      const pending = minting.get(key);
      if (pending) return pending;
      const request = mint(installationId, scope)
        .then((token) => {
          for (const [other, entry] of cache) if (entry.expiresAt.getTime() <= now()) cache.delete(other);
          cache.set(key, token);
          return token;
        })
        .finally(() => minting.delete(key));
      minting.set(key, request);
      return request;
    },
    forget(installationId) {
      for (const key of cache.keys()) if (key.startsWith(`${installationId}|`)) cache.delete(key);
    },
  };
}
