/**
 * Flowgate's own secrets, removed from anything untrusted code produced before it is stored, logged
 * or shown. The sandbox keeps them out of the code's reach; this is the second wall, for a
 * misconfigured runner (FLOWGATE_SANDBOX=off) or a secret that reaches the code some other way.
 * Matching is by exact occurrence of each value (plain, and URL-decoded for the database
 * password), plus the shape of Flowgate's API tokens, whose values are never kept.
 */

export interface KnownSecret {
  name: string;
  value: string;
}

// Shorter values would redact ordinary words; every generated secret here is far longer.
const MIN_SECRET_LENGTH = 8;
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|WEBHOOK/i;
// fgt_ + 32 bytes of base64url (lib/auth/api-tokens.ts).
const API_TOKEN = /\bfgt_[A-Za-z0-9_-]{20,}/g;

/** The secrets in a runner's or server's environment: the database URL's password, the session secret, keys. */
export function knownSecretsOf(env: Record<string, string | undefined>): KnownSecret[] {
  const secrets: KnownSecret[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value && value.length >= MIN_SECRET_LENGTH && !secrets.some((s) => s.value === value)) secrets.push({ name, value });
  };
  for (const [name, value] of Object.entries(env)) {
    if (name === "DATABASE_URL" && value) {
      try {
        const url = new URL(value);
        add("the database password", url.password);
        add("the database password", decodeURIComponent(url.password));
      } catch {
        // Not a URL: redacted whole below.
      }
      add("the database URL", value);
    } else if (SECRET_NAME.test(name)) {
      add(name, value);
      // A PEM kept on one line with literal "\n" escapes (GITHUB_APP_PRIVATE_KEY) is used, and so
      // could leak, with real line breaks.
      if (value?.includes("\\n")) add(name, value.replace(/\\n/g, "\n").trim());
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  return secrets.sort((a, b) => b.value.length - a.value.length);
}

export function redactKnownSecrets(text: string, secrets: KnownSecret[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret.value)) out = out.split(secret.value).join(`[redacted: ${secret.name}]`);
  return out.replace(API_TOKEN, "[redacted: a Flowgate API token]");
}
