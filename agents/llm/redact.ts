/**
 * Removes credentials from text before it is stored (prompts and responses go to the audit
 * trail). Patterns for well-known key formats and `name = "literal"` secret assignments.
 */
const secretPatterns: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, "[redacted private key]"],
  [/\bAKIA[0-9A-Z]{16}\b/g, "[redacted AWS access key]"],
  [/\b(ghp|gho|ghs|ghu)_[A-Za-z0-9]{20,}\b/g, "[redacted GitHub token]"],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, "[redacted GitHub token]"],
  [/\bxox[baprs]-[A-Za-z0-9-]{10,}\b/g, "[redacted Slack token]"],
  [/\bsk_live_[A-Za-z0-9]{10,}\b/g, "[redacted Stripe key]"],
  [/\bsk-(ant-)?[A-Za-z0-9_-]{20,}\b/g, "[redacted API key]"],
  [/\bfgt_[A-Za-z0-9_-]{20,}\b/g, "[redacted Flowgate token]"],
  [
    /((?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|token)["']?\s*[:=]\s*)(["'])([^"'\s]{8,})\2/gi,
    "$1$2[redacted]$2",
  ],
];

export function redactSecrets(text: string): string {
  return secretPatterns.reduce((current, [pattern, replacement]) => current.replace(pattern, replacement), text);
}
