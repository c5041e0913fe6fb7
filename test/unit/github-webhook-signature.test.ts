import { Webhooks } from "@octokit/webhooks";
import { describe, expect, it } from "vitest";
import { githubWebhookSecrets, signGithubPayload, verifyGithubSignature } from "@/lib/code-host/github/webhook-signature";

// GitHub's documented test vector ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = "Hello, World!";
const SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

describe("GitHub webhook signatures", () => {
  it("match GitHub's published test vector", () => {
    expect(signGithubPayload(PAYLOAD, SECRET)).toBe(SIGNATURE);
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE, [SECRET])).toBe(true);
    expect(verifyGithubSignature(new TextEncoder().encode(PAYLOAD), SIGNATURE, [SECRET])).toBe(true);
  });

  it("agree with @octokit/webhooks' verify", async () => {
    const webhooks = new Webhooks({ secret: SECRET });
    expect(await webhooks.verify(PAYLOAD, SIGNATURE)).toBe(true);
    const body = JSON.stringify({ action: "opened", text: "ünïcödé ✓ \u2028" });
    const signature = signGithubPayload(body, SECRET);
    expect(await webhooks.verify(body, signature)).toBe(true);
    expect(verifyGithubSignature(Buffer.from(body, "utf8"), signature, [SECRET])).toBe(true);
    expect(await webhooks.sign(body)).toBe(signature);
  });

  it("accept any configured secret (the current and, during a rotation, the previous)", () => {
    const signedWithOld = signGithubPayload(PAYLOAD, "the-old-secret");
    expect(verifyGithubSignature(PAYLOAD, signedWithOld, ["the-new-secret", "the-old-secret"])).toBe(true);
    expect(verifyGithubSignature(PAYLOAD, signedWithOld, ["the-new-secret"])).toBe(false);
  });

  it("refuse a wrong secret, another body, a missing or malformed header, and no secret at all", () => {
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE, ["another secret"])).toBe(false);
    expect(verifyGithubSignature("Hello, World?", SIGNATURE, [SECRET])).toBe(false);
    expect(verifyGithubSignature(`${PAYLOAD}\n`, SIGNATURE, [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, null, [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, "", [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE.replace("sha256=", "sha1="), [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE.slice(0, -2), [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, `${SIGNATURE}00`, [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE.slice(7), [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, `sha256=${"z".repeat(64)}`, [SECRET])).toBe(false);
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE, [])).toBe(false);
  });

  it("verify only the raw bytes: the same JSON serialised again does not", () => {
    const raw = '{\n  "action": "opened",\n  "number": 2\n}';
    const signature = signGithubPayload(raw, SECRET);
    expect(verifyGithubSignature(raw, signature, [SECRET])).toBe(true);
    expect(verifyGithubSignature(JSON.stringify(JSON.parse(raw)), signature, [SECRET])).toBe(false);
  });

  it("take the hex digest in either case, as HMAC comparisons usually do", () => {
    expect(verifyGithubSignature(PAYLOAD, SIGNATURE.toUpperCase().replace("SHA256=", "sha256="), [SECRET])).toBe(true);
  });

  it("read the current and previous secrets from the environment, blank as unset", () => {
    expect(githubWebhookSecrets({})).toEqual([]);
    expect(githubWebhookSecrets({ GITHUB_WEBHOOK_SECRET: " " })).toEqual([]);
    expect(githubWebhookSecrets({ GITHUB_WEBHOOK_SECRET: "new-secret" })).toEqual(["new-secret"]);
    expect(githubWebhookSecrets({ GITHUB_WEBHOOK_SECRET: "new-secret", GITHUB_WEBHOOK_SECRET_PREVIOUS: "old-secret" })).toEqual(["new-secret", "old-secret"]);
    // The previous one alone still verifies (a rotation half done); the route needs at least one.
    expect(githubWebhookSecrets({ GITHUB_WEBHOOK_SECRET_PREVIOUS: "old-secret" })).toEqual(["old-secret"]);
  });
});
