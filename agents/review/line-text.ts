/**
 * Reading one line of code as text, in linear time: string contents, interpolation, "A then B".
 * Shared by the line-based engines; the structural engine reads syntax trees instead.
 */

/** How a line splices a value into a string, or null when it does not. */
export function interpolationKind(content: string): string | null {
  if (/\$\{[^}]*\}/.test(content)) return "template interpolation";
  if (/["'`]\s*\+\s*[A-Za-z_$(]/.test(content) || /[\w$)\]]\s*\+\s*["'`]/.test(content)) return "string concatenation";
  if (/(?<![\w])[rRbB]?[fF][rR]?["'][^"']*\{[^}]+\}/.test(content)) return "f-string";
  // Python's `"..." % value` has spaces around the operator; a LIKE pattern such as '%foo' has none.
  if (/["'](?:\s+%\s*|\s*%\s+)[\w(]/.test(content)) return "% formatting";
  if (/["']\s*\.format\s*\(/.test(content)) return ".format()";
  if (/\b(?:Sprintf|String\.format)\s*\(/.test(content)) return "format call";
  return null;
}

/**
 * The line with the insides of its string literals emptied. A call named in a string ("eval() is
 * dangerous") is text, not a call; the interpolation check still reads the original line.
 */
export function withoutStringContents(content: string): string {
  // One forward scan: a regular expression for "quote, then anything up to the closing quote"
  // rescans the rest of the line from every unclosed quote (quadratic on a line of many quotes).
  let out = "";
  let quote = "";
  const unclosed = new Set<string>();
  for (let i = 0; i < content.length; i++) {
    const char = content[i];
    if (quote) {
      if (char === "\\") i++;
      else if (char === quote) {
        out += quote + quote;
        quote = "";
      }
    } else if ((char === '"' || char === "'" || char === "`") && !unclosed.has(char) && closingQuote(content, i) >= 0) {
      quote = char;
    } else {
      // A quote that never closes is kept as written, and so is every later one of its kind (they
      // cannot close either), so no position is scanned twice.
      if (char === '"' || char === "'" || char === "`") unclosed.add(char);
      out += char;
    }
  }
  return out;
}

/** Where the literal opened at `start` closes (skipping escapes), or -1 when it does not. */
function closingQuote(content: string, start: number): number {
  const quote = content[start];
  for (let i = start + 1; i < content.length; i++) {
    if (content[i] === "\\") i++;
    else if (content[i] === quote) return i;
  }
  return -1;
}

/**
 * Whether `first` occurs and `then` occurs somewhere after its first occurrence: what `first.*then`
 * asks, in two linear searches.
 */
export function followedBy(content: string, first: RegExp, then: RegExp): boolean {
  const m = first.exec(content);
  return m !== null && then.test(content.slice(m.index + m[0].length));
}

/** Languages whose double-quoted strings splice variables in: Perl, PHP, Ruby, shell. */
const SIGIL_LANGUAGE = /\.(?:pl|pm|cgi|psgi|php|phtml|inc|rb|rake|sh|bash)$/i;

/**
 * How a line of Perl, PHP, Ruby or shell splices a value into a string, or null: a variable inside
 * a double-quoted string ("... $id", "{$row['id']}", "#{id}"), or `.` concatenation of a string and
 * a variable ("..." . $id). Other languages: null (interpolationKind reads them).
 */
export function sigilInterpolation(content: string, path: string): string | null {
  if (!SIGIL_LANGUAGE.test(path)) return null;
  const ruby = /\.(?:rb|rake)$/i.test(path);
  for (const literal of stringLiteralsOf(content)) {
    if (literal.quote !== '"' && literal.quote !== "`") continue;
    if (ruby ? literal.text.includes("#{") : /[$@][{A-Za-z_]/.test(literal.text)) return "variable interpolation";
  }
  if (!ruby && (/["']\s*\.\s*[$@]/.test(content) || /[$\w\])}]\s*\.\s*["']/.test(content))) return "string concatenation";
  return null;
}

/** The string literals of a line with their quote, in order: one forward scan. */
export function stringLiteralsOf(content: string): { start: number; end: number; quote: string; text: string }[] {
  const literals: { start: number; end: number; quote: string; text: string }[] = [];
  const unclosed = new Set<string>();
  for (let i = 0; i < content.length; i++) {
    const char = content[i];
    if ((char !== '"' && char !== "'" && char !== "`") || unclosed.has(char)) continue;
    const close = closingQuote(content, i);
    if (close < 0) {
      // It cannot close, nor can any later quote of its kind: no position is scanned twice.
      unclosed.add(char);
      continue;
    }
    literals.push({ start: i, end: close + 1, quote: char, text: content.slice(i + 1, close) });
    i = close;
  }
  return literals;
}
