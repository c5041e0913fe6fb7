/**
 * Removes a code host's fetch credentials from text before it becomes an error message or a log
 * line: git's output, a URL, a header echoed back by a proxy. The secret is matched as itself,
 * URL-encoded, and base64-encoded at each of the three alignments it can have inside a longer
 * base64 string (a Basic header encodes "x-access-token:<token>" or "oauth2:<token>" as one string),
 * plus the header's credential as written.
 */
import type { FetchCredentials } from "../code-host";

// Shorter fragments would redact ordinary words; host tokens are far longer.
const MIN_LENGTH = 8;
const REDACTED = "[redacted: code host credentials]";

/** Every form of the credentials that may appear in text, longest first. */
export function credentialForms(credentials: Pick<FetchCredentials, "secret" | "extraHeader">): string[] {
  const forms = new Set<string>();
  const add = (value: string | undefined) => {
    if (value && value.length >= MIN_LENGTH) forms.add(value);
  };
  const secret = credentials.secret;
  if (secret) {
    add(secret);
    add(encodeURIComponent(secret));
    const bytes = Buffer.from(secret, "utf8");
    for (const offset of [0, 1, 2]) {
      // base64 of the secret preceded by `offset` unknown bytes: keep only the characters made
      // entirely of the secret's own bits (drop the ones shared with the unknown bytes around it).
      const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
      const first = [0, 2, 3][offset];
      const last = Math.floor(((offset + bytes.length) * 8) / 6);
      const core = encoded.slice(first, last);
      add(core);
      add(core.replaceAll("+", "-").replaceAll("/", "_"));
      if (offset === 0) add(encoded);
    }
  }
  // "Authorization: Basic eC1hY2Nlc3Mt..." → the value, and the credential after the scheme.
  const colon = credentials.extraHeader.indexOf(":");
  if (colon >= 0) {
    const value = credentials.extraHeader.slice(colon + 1).trim();
    add(value);
    add(value.split(/\s+/).at(-1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

export function redactCredentials(text: string, credentials: Pick<FetchCredentials, "secret" | "extraHeader">): string {
  let out = text;
  for (const form of credentialForms(credentials)) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}
