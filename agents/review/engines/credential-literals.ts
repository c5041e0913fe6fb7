/**
 * Flowgate's own secret rules: credential formats with a fixed shape, and any non-placeholder
 * literal assigned to a credential-named key in non-test source. The maintained rule sets
 * (gitleaks, secretlint) cover many more formats; this engine keeps the assignment rule, which
 * fires whatever the value looks like.
 */
import type { RuleFinding } from "../../../lib/review/review-output";
import type { FileView } from "../file-view";
import { finding } from "../finding";

interface SecretPattern {
  rule: string;
  /** What the message calls it. Never the value: findings are stored and shown. */
  label: string;
  /** The first credential-shaped token in a line, if any. Linear in the line's length. */
  match: (content: string) => string | undefined;
}

/** A pattern whose failing attempts end within a bounded distance of their start (linear scan). */
const regex = (pattern: RegExp) => (content: string) => pattern.exec(content)?.[0];

/** Credential formats with a recognizable shape: they fire in every file, tests included. */
const SECRET_PATTERNS: SecretPattern[] = [
  { rule: "secret.aws-access-key", label: "AWS access key literal", match: regex(/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/) },
  { rule: "secret.private-key", label: "private key block", match: regex(/-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/) },
  { rule: "secret.github-token", label: "GitHub token literal", match: regex(/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/) },
  { rule: "secret.slack-token", label: "Slack token literal", match: regex(/\bxox[baprs]-[A-Za-z0-9-]{10,}/) },
  { rule: "secret.stripe-live-key", label: "Stripe live secret key literal", match: regex(/\b[sr]k_live_[A-Za-z0-9]{10,}/) },
  { rule: "secret.anthropic-key", label: "Anthropic API key literal", match: regex(/\bsk-ant-[A-Za-z0-9_-]{20,}/) },
  { rule: "secret.openai-key", label: "OpenAI-style API key literal", match: openAiStyleKey },
];

/**
 * OpenAI-style keys: "sk-" (not "sk-ant-"), optionally "proj-", then a run of 20 or more key
 * characters holding a digit and a letter, so that hyphenated identifiers such as
 * "sk-long-descriptive-name-here" do not fire. Written as one pass over each run of key characters
 * (the regular expression it replaces rescanned the run from every "sk-" in it: quadratic).
 */
function openAiStyleKey(content: string): string | undefined {
  for (const run of content.matchAll(/[A-Za-z0-9_-]+/g)) {
    const token = run[0];
    if (!token.includes("sk-")) continue;
    // From the end: where the last digit and the last letter are, so each candidate is O(1).
    let lastDigit = -1;
    let lastLetter = -1;
    for (let i = token.length - 1; i >= 0 && (lastDigit < 0 || lastLetter < 0); i--) {
      const c = token.charCodeAt(i);
      if (lastDigit < 0 && c >= 48 && c <= 57) lastDigit = i;
      if (lastLetter < 0 && ((c >= 65 && c <= 90) || (c >= 97 && c <= 122))) lastLetter = i;
    }
    for (let p = token.indexOf("sk-"); p >= 0; p = token.indexOf("sk-", p + 1)) {
      // A word boundary before "sk": the run's start, or a "-" (the only non-word key character).
      if (p > 0 && token[p - 1] !== "-") continue;
      if (token.startsWith("ant-", p + 3)) continue;
      const body = p + 3 + (token.startsWith("proj-", p + 3) ? 5 : 0);
      if (token.length - body >= 20 && lastDigit >= body && lastLetter >= body) return token.slice(p);
    }
  }
  return undefined;
}

/**
 * Keys that call themselves fake: AWS's documented AKIA...EXAMPLE, "sk-ant-test-..." fixtures. A
 * random real key spelling one of these words is vanishingly unlikely.
 */
const FAKE_TOKEN = /example|test|fake|dummy|sample|placeholder|xxxx/i;

/** Identifiers that name a credential: dbPassword, API_KEY, client_secret, authToken... */
const SECRET_NAME = /(?:password|passwd|passphrase|secret|api[_-]?key|access[_-]?key|private[_-]?key|token|credential)/i;

/** `name = "literal"`, `name: "literal"`, `"name": "literal"`, Go's `name := "literal"`. */
// The lookbehind lets a match start only where a name starts: without it every position inside a
// long identifier was a new start that rescanned the rest of it (quadratic: one added line of
// 40,000 characters took 4.6 s and blocked the runner's heartbeat).
const LITERAL_ASSIGNMENT = /(["']?)(?<![\w$-])([A-Za-z_$][\w$-]*)\1\s*(?::=|[:=])\s*(["'`])([^"'`]*)\3/g;

/** Documentation placeholders: a credential-shaped slot that someone is meant to fill in. */
const PLACEHOLDER = /changeme|change[_-]me|xxx|placeholder|your[_-]|example|dummy|redacted|replace|todo|\*\*\*|<[^>]*>/i;

/** Values that are not a credential at all: labels, names, addresses and templates. */
function isNotACredential(value: string): boolean {
  return (
    value.length === 0 ||
    /\$\{|\{\{/.test(value) ||
    // Prose ("Enter your password") and URLs or paths ("/api/token") are labels, not credentials.
    /\s/.test(value) ||
    /^(?:https?:\/\/[^@]*|\/.*)$/.test(value) ||
    // Lowercase words joined by separators read like a name ("x-flowgate-token"); ALL_CAPS like an
    // env var name.
    /^[a-z]+(?:[-_.][a-z]+)+$/.test(value) ||
    /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/.test(value)
  );
}

export function detectSecrets(view: FileView): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const { line, content } of view.added) {
    for (const { rule, label, match } of SECRET_PATTERNS) {
      const token = match(content);
      if (token && !FAKE_TOKEN.test(token)) findings.push(finding("hardcoded_secret", rule, "critical", view.path, line, `Hard-coded ${label}; move it to a secret store and rotate it.`));
    }
    // Generic assignments skip tests: fixtures hold throwaway passwords, and calling them critical
    // would send every test change to a human.
    if (view.isTest) continue;
    for (const { name, placeholder } of genericSecretAssignments(content)) {
      findings.push(
        placeholder
          ? finding("hardcoded_secret", "secret.placeholder-assignment", "low", view.path, line, `A placeholder credential is assigned to "${name}"; make sure a real one comes from the environment or a secret store.`)
          : finding("hardcoded_secret", "secret.generic-assignment", "critical", view.path, line, `Hard-coded credential literal assigned to "${name}"; read it from the environment or a secret store.`),
      );
    }
  }
  return findings;
}

/**
 * Literals assigned to credential-named keys. Whatever the value, each is a finding; a known
 * documentation placeholder (or a value too short to be a key) lowers it to low severity, which
 * informs without escalating, and never hides it.
 */
function genericSecretAssignments(content: string): { name: string; placeholder: boolean }[] {
  const found: { name: string; placeholder: boolean }[] = [];
  for (const match of content.matchAll(LITERAL_ASSIGNMENT)) {
    const [, , name, , value] = match;
    // One lowercase word ("bearer", "changeme") may be a weak password or a setting: it is reported, low.
    if (SECRET_NAME.test(name) && !isNotACredential(value)) found.push({ name, placeholder: value.length < 8 || PLACEHOLDER.test(value) || /^[a-z]+$/.test(value) });
  }
  return found;
}


