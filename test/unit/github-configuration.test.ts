import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { envVar, parseEnv, pemFromEnv, runtimeEnvSchema } from "@/lib/env";
import { knownSecretsOf, redactKnownSecrets } from "@/lib/secrets/redact-known-secrets";

const valid = { DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/flowgate", NEXTAUTH_SECRET: "x".repeat(40) };
// A real key, generated here: the shape GitHub's "Generate a private key" downloads (PKCS#1).
const pem = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const oneLine = pem.trim().replaceAll("\n", "\\n");

describe("code-host configuration", () => {
  it("is all optional: Flowgate runs without a code host", () => {
    const env = parseEnv(runtimeEnvSchema, valid);
    expect(env.GITHUB_APP_ID).toBeUndefined();
    expect(env.GITHUB_APP_PRIVATE_KEY).toBeUndefined();
    expect(env.GITHUB_WEBHOOK_SECRET).toBeUndefined();
    expect(env.GITHUB_WEBHOOK_SECRET_PREVIOUS).toBeUndefined();
    expect(env.GITLAB_WEBHOOK_TOKEN).toBeUndefined();
    expect(env.FLOWGATE_GITHUB_API_URL).toBe("https://api.github.com");
  });

  it("reads the App's private key as a PEM, given on several lines or on one with literal \\n escapes", () => {
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(envVar("GITHUB_APP_PRIVATE_KEY", { GITHUB_APP_PRIVATE_KEY: pem })).toBe(pem);
    expect(envVar("GITHUB_APP_PRIVATE_KEY", { GITHUB_APP_PRIVATE_KEY: oneLine })).toBe(pem);
    expect(envVar("GITHUB_APP_PRIVATE_KEY", { GITHUB_APP_PRIVATE_KEY: pem.replaceAll("\n", "\r\n") })).toBe(pem);
    expect(pemFromEnv(`  ${oneLine}\\n `)).toBe(pem);
  });

  it("names a malformed key or App id at start-up", () => {
    expect(() => envVar("GITHUB_APP_PRIVATE_KEY", { GITHUB_APP_PRIVATE_KEY: "not a key" })).toThrow(/^environment variable GITHUB_APP_PRIVATE_KEY must be a PEM private key/);
    expect(() => envVar("GITHUB_APP_ID", { GITHUB_APP_ID: "my-app" })).toThrow(/^environment variable GITHUB_APP_ID /);
    expect(envVar("GITHUB_APP_ID", { GITHUB_APP_ID: "123456" })).toBe("123456");
    expect(() => envVar("FLOWGATE_GITHUB_API_URL", { FLOWGATE_GITHUB_API_URL: "api.github.com" })).toThrow(/^environment variable FLOWGATE_GITHUB_API_URL /);
  });

  it("counts the secrets among the ones redacted, the key with its line breaks too; the App id and API URL are not secret", () => {
    const env = {
      GITHUB_APP_ID: "123456",
      GITHUB_APP_PRIVATE_KEY: oneLine,
      GITHUB_WEBHOOK_SECRET: "current-webhook-secret",
      GITHUB_WEBHOOK_SECRET_PREVIOUS: "previous-webhook-secret",
      FLOWGATE_GITHUB_API_URL: "https://github.example.com/api/v3",
      GITLAB_WEBHOOK_TOKEN: "gitlab-hook-token",
    };
    const secrets = knownSecretsOf(env);
    const values = secrets.map((s) => s.value);
    expect(values).toEqual(expect.arrayContaining([oneLine, pem.trim(), env.GITHUB_WEBHOOK_SECRET, env.GITHUB_WEBHOOK_SECRET_PREVIOUS, env.GITLAB_WEBHOOK_TOKEN]));
    expect(values).not.toContain(env.GITHUB_APP_ID);
    expect(values).not.toContain(env.FLOWGATE_GITHUB_API_URL);
    const leaked = `key:\n${pem}\nescaped: ${oneLine} hook: current-webhook-secret previous-webhook-secret gitlab-hook-token`;
    const redacted = redactKnownSecrets(leaked, secrets);
    expect(redacted).not.toContain("PRIVATE KEY");
    expect(redacted).not.toMatch(/webhook-secret|gitlab-hook-token/);
    expect(redacted).toContain("[redacted: GITHUB_APP_PRIVATE_KEY]");
    expect(redacted).toContain("[redacted: GITHUB_WEBHOOK_SECRET_PREVIOUS]");
  });
});
