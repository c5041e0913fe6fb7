/**
 * Text written by code Flowgate does not trust (a pull request's tests, their reports) made safe
 * to store and show. PostgreSQL refuses NUL in text and jsonb and lone UTF-16 surrogates in jsonb,
 * so one such byte would make a stage's result unrecordable; terminal escapes could rewrite what a
 * reviewer sees in a log view or a terminal. Every pattern here scans forward without nested
 * quantifiers, so the cost is linear in the input.
 */

// CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ST, or up to the next ESC), and the
// two-byte escapes. Removed: they format, they carry no content.
const TERMINAL_ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;
// C0 controls but tab and line feed, DEL, and the C1 range (8-bit CSI among them).
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** A control character shown as its Unicode control picture (U+2400 block), or U+FFFD for C1. */
function visible(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return "\ufffd";
}

export function cleanUntrustedText(text: string): string {
  return text
    .replace(TERMINAL_ESCAPES, "")
    .replace(/\r\n?/g, "\n")
    .replace(CONTROLS, visible)
    .toWellFormed();
}

/** Every string in a JSON-like value (object keys included) cleaned; other values kept. */
export function cleanUntrustedJson<T>(value: T, clean: (text: string) => string = cleanUntrustedText): T {
  if (typeof value === "string") return clean(value) as T;
  if (Array.isArray(value)) return value.map((item) => cleanUntrustedJson(item, clean)) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[clean(key)] = cleanUntrustedJson(item, clean);
    return out as T;
  }
  return value;
}
