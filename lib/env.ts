import { z } from "zod";
import { blankAsUnset } from "./blank-as-unset";
import { StartupError } from "./startup-error";

// An empty string counts as unset: `FOO= npm start` must not pass validation silently, and a
// variable with a default gets its default.
const optional = <T extends z.ZodType>(schema: T) => blankAsUnset(schema.optional());

const postgresUrl = z
  .string()
  .refine((value) => /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(value), "must look like postgresql://user:password@host:5432/database");

const port = z.coerce.number().int().min(1).max(65535);

/**
 * A PEM as configured: literal "\n" escapes (a key kept on one line) become newlines, Windows line
 * ends become "\n", and surrounding blank space goes, so the same key reads the same however it
 * was pasted.
 */
export function pemFromEnv(value: string): string {
  return `${value.replace(/\\n/g, "\n").replace(/\r\n/g, "\n").trim()}\n`;
}

/** Variables the web server and the runner need at run time. `npm start` provides them. */
export const runtimeEnvSchema = z.object({
  DATABASE_URL: postgresUrl,
  NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters"),
  NEXTAUTH_URL: optional(z.url()),
  FLOWGATE_DATA_DIR: blankAsUnset(z.string().default(".data")),
  LOG_LEVEL: blankAsUnset(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  SESSION_MAX_AGE_HOURS: blankAsUnset(z.coerce.number().positive().default(12)),
  // A session unused this long ends (lib/auth/sessions.ts); fractions allowed (tests use seconds).
  SESSION_IDLE_MINUTES: blankAsUnset(z.coerce.number().positive().default(60)),
  RUNNER_CONCURRENCY: blankAsUnset(z.coerce.number().int().min(1).max(64).default(2)),
  ANTHROPIC_API_KEY: optional(z.string()),
  // The LLM (agents/llm/select-provider.ts), when ANTHROPIC_API_KEY is set: another endpoint, model,
  // request timeout or number of retries than agents/llm/anthropic.ts's defaults.
  ANTHROPIC_BASE_URL: optional(z.url()),
  FLOWGATE_REVIEW_MODEL: optional(z.string()),
  FLOWGATE_LLM_TIMEOUT_MS: optional(z.coerce.number().int().positive()),
  FLOWGATE_LLM_MAX_RETRIES: optional(z.coerce.number().int().min(0)),
  FLOWGATE_MAX_DIFF_BYTES: blankAsUnset(z.coerce.number().int().positive().default(5 * 1024 * 1024)),
  // Audit chain anchoring (lib/audit/verify/anchor-chain-head.ts): the verified head is written to a file
  // (JSON Lines, appended) and/or POSTed to a webhook every FLOWGATE_AUDIT_ANCHOR_SECONDS by the runner.
  FLOWGATE_AUDIT_ANCHOR_FILE: optional(z.string()),
  FLOWGATE_AUDIT_ANCHOR_WEBHOOK: optional(z.url()),
  FLOWGATE_AUDIT_ANCHOR_SECONDS: blankAsUnset(z.coerce.number().int().min(10).default(300)),
  // Single sign-on through an OpenID Connect identity provider (lib/auth/sso.ts): on when the issuer is set.
  FLOWGATE_OIDC_ISSUER: optional(z.url()),
  FLOWGATE_OIDC_CLIENT_ID: optional(z.string()),
  FLOWGATE_OIDC_CLIENT_SECRET: optional(z.string()),
  FLOWGATE_OIDC_NAME: blankAsUnset(z.string().default("your identity provider")),
  FLOWGATE_OIDC_SCOPES: blankAsUnset(z.string().default("openid email profile groups")),
  FLOWGATE_OIDC_GROUPS_CLAIM: blankAsUnset(z.string().default("groups")),
  // GitHub sign-in (an OAuth app; lib/auth/github-sign-in.ts): on when the client id is set. The URLs
  // change only for GitHub Enterprise Server. Roles from "org/team=role" or "org=role" pairs.
  FLOWGATE_GITHUB_CLIENT_ID: optional(z.string()),
  FLOWGATE_GITHUB_CLIENT_SECRET: optional(z.string()),
  FLOWGATE_GITHUB_URL: blankAsUnset(z.url().default("https://github.com")),
  FLOWGATE_GITHUB_API_URL: blankAsUnset(z.url().default("https://api.github.com")),
  FLOWGATE_GITHUB_ROLE_MAP: optional(z.string()),
  // The code host (issue #18; lib/code-host/github): a GitHub App, when GITHUB_APP_ID is set. The
  // private key is the App's PEM; a key given on one line with literal "\n" escapes (as most secret
  // stores and .env files carry it) reads as the PEM. Webhooks are refused (503) until a webhook
  // secret is set; during a rotation the previous one is accepted too. The App's REST API is
  // FLOWGATE_GITHUB_API_URL, the one GitHub sign-in uses. GITLAB_WEBHOOK_TOKEN is GitLab's shared hook token (X-Gitlab-Token).
  GITHUB_APP_ID: optional(z.string().regex(/^\d+$/, "must be the GitHub App's numeric id")),
  GITHUB_APP_PRIVATE_KEY: optional(z.string().transform(pemFromEnv).pipe(z.string().regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----\n[\s\S]+\n-----END [A-Z ]*PRIVATE KEY-----\n?$/, "must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)"))),
  GITHUB_WEBHOOK_SECRET: optional(z.string()),
  GITHUB_WEBHOOK_SECRET_PREVIOUS: optional(z.string()),
  GITLAB_WEBHOOK_TOKEN: optional(z.string()),
  // GitLab (lib/code-host/gitlab), when GITLAB_TOKEN is set: a project or group access token with
  // the api scope (statuses, notes, merges, and git fetches as "oauth2"). GITLAB_URL is the instance.
  GITLAB_URL: blankAsUnset(z.url().default("https://gitlab.com")),
  GITLAB_TOKEN: optional(z.string()),
  // "group=role,group=role"; the first listed group a person is in decides, in this order.
  FLOWGATE_SSO_ROLE_MAP: optional(z.string()),
  // The role of a person in no mapped group, or "deny" to refuse them.
  FLOWGATE_SSO_DEFAULT_ROLE: blankAsUnset(z.enum(["deny", "admin", "reviewer", "manager", "auditor"]).default("deny")),
  // "off" turns local passwords off (single sign-on only).
  FLOWGATE_LOCAL_PASSWORDS: blankAsUnset(z.enum(["on", "off"]).default("on")),
  // How pull-request code runs (agents/sandbox): in bubblewrap, or "off" for a single trusted developer.
  FLOWGATE_SANDBOX: blankAsUnset(z.enum(["bubblewrap", "off"]).default("bubblewrap")),
  // Where test stages' workspaces go (agents/test/workspace.ts); unset: under the system's temporary directory.
  FLOWGATE_WORKSPACE_DIR: optional(z.string()),
  // A runner silent this long is presumed dead and its jobs are released (the lease).
  FLOWGATE_RUNNER_LEASE_SECONDS: blankAsUnset(z.coerce.number().positive().default(30)),
  // How often overdue escalations are looked for; every runner checks, and each breach fires once.
  FLOWGATE_SLA_CHECK_SECONDS: blankAsUnset(z.coerce.number().positive().default(60)),
  // bcrypt's cost for new password hashes (lib/auth/passwords.ts); the tests lower it for speed.
  FLOWGATE_BCRYPT_COST: blankAsUnset(z.coerce.number().int().min(4).max(31).default(12)),
  // The `service` field of every log line; `npm start` sets "web" and "runner".
  FLOWGATE_SERVICE: blankAsUnset(z.string().default("flowgate")),
});

export type RuntimeEnv = z.infer<typeof runtimeEnvSchema>;

/** The anchoring variables alone, for the CLI (which needs no session secret). */
export const auditAnchorEnvSchema = runtimeEnvSchema.pick({ FLOWGATE_AUDIT_ANCHOR_FILE: true, FLOWGATE_AUDIT_ANCHOR_WEBHOOK: true, FLOWGATE_AUDIT_ANCHOR_SECONDS: true });

/** The LLM's variables alone (agents/llm/select-provider.ts), for tools that need no database. */
export const llmEnvSchema = runtimeEnvSchema.pick({
  ANTHROPIC_API_KEY: true,
  ANTHROPIC_BASE_URL: true,
  FLOWGATE_REVIEW_MODEL: true,
  FLOWGATE_LLM_TIMEOUT_MS: true,
  FLOWGATE_LLM_MAX_RETRIES: true,
});
export type LlmEnv = z.infer<typeof llmEnvSchema>;

/** Variables `npm start` reads before it has a database (DATABASE_URL is optional there). */
export const startEnvSchema = z.object({
  DATABASE_URL: optional(postgresUrl),
  NEXTAUTH_SECRET: optional(z.string().min(32, "must be at least 32 characters")),
  PORT: blankAsUnset(port.default(3000)),
  FLOWGATE_DATA_DIR: blankAsUnset(z.string().default(".data")),
  RUNNER_CONCURRENCY: runtimeEnvSchema.shape.RUNNER_CONCURRENCY,
  NEXTAUTH_URL: runtimeEnvSchema.shape.NEXTAUTH_URL,
  FLOWGATE_SANDBOX: runtimeEnvSchema.shape.FLOWGATE_SANDBOX,
});

export function parseEnv<T extends z.ZodType>(schema: T, source: Record<string, string | undefined> = process.env): z.infer<T> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = issue.path.join(".");
    const value = source[variable];
    const problem = value === undefined || value === "" ? "is required but not set" : issue.message;
    throw new StartupError(`environment variable ${variable} ${problem}`);
  }
  return result.data;
}

let cached: RuntimeEnv | undefined;

/**
 * One variable of the runtime schema, validated on its own at each call (not cached), for code
 * that also runs where the rest need not be set: `npm run ctl` (no NEXTAUTH_SECRET), the tests.
 * A malformed value is a StartupError naming the variable, as in env().
 */
export function envVar<K extends keyof RuntimeEnv>(name: K, source: Record<string, string | undefined> = process.env): RuntimeEnv[K] {
  const one: z.ZodType<Record<string, unknown>> = z.object({ [name]: runtimeEnvSchema.shape[name] });
  return parseEnv(one, source)[name] as RuntimeEnv[K];
}

/**
 * As envVar, but a malformed value reads as the variable's default and never throws: for what
 * runs at import time, before anything validates the environment (lib/log.ts). env() at startup
 * still reports the malformed value.
 */
export function envVarOrDefault<K extends keyof RuntimeEnv>(name: K, source: Record<string, string | undefined> = process.env): RuntimeEnv[K] {
  const field = runtimeEnvSchema.shape[name];
  const parsed = field.safeParse(source[name]);
  return (parsed.success ? parsed.data : field.parse(undefined)) as RuntimeEnv[K];
}

/** Validated once per process, on first use, so `next build` runs without a database. */
export function env(): RuntimeEnv {
  cached ??= parseEnv(runtimeEnvSchema);
  return cached;
}
