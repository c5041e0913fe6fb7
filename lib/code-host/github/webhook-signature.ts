import { createHmac, timingSafeEqual } from "node:crypto";
import { envVar } from "../../env";

/** The header GitHub signs each delivery in: `sha256=` and the HMAC-SHA256 of the body, in hex. */
export const SIGNATURE_HEADER = "x-hub-signature-256";

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * The webhook secrets deliveries may be signed with: the current one and, during a rotation, the
 * previous one. Read at each call (not cached), so a rotation needs only the variables changed
 * and a restart, and the tests can vary them. Empty when no secret is configured.
 */
export function githubWebhookSecrets(source?: Record<string, string | undefined>): string[] {
  const secrets = [envVar("GITHUB_WEBHOOK_SECRET", source), envVar("GITHUB_WEBHOOK_SECRET_PREVIOUS", source)];
  return secrets.filter((secret): secret is string => typeof secret === "string" && secret.length > 0);
}

/** `sha256=<hex>` for a body and secret: what GitHub sends, and what the tests sign with. */
export function signGithubPayload(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * Whether `X-Hub-Signature-256` is the HMAC-SHA256 of exactly these bytes under one of the
 * secrets. The body must be the raw bytes as received: a body parsed and serialised again (other
 * whitespace, other key order, other escapes) does not verify, by design. Each comparison is in
 * constant time over equal-length digests, and every secret is tried (no early exit that would
 * tell which one matched by timing).
 */
export function verifyGithubSignature(body: string | Uint8Array, signatureHeader: string | null | undefined, secrets: readonly string[]): boolean {
  if (!signatureHeader || secrets.length === 0) return false;
  const match = SIGNATURE.exec(signatureHeader.trim());
  if (!match) return false;
  const given = Buffer.from(match[1].toLowerCase(), "hex");
  let verified = false;
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(body).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) verified = true;
  }
  return verified;
}
