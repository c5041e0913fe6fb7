import { extensionOf } from "@/lib/diff/languages";

/**
 * A deliberately small highlighter: keywords, strings, comments and numbers, one line at a time.
 * Diff lines arrive out of context (a hunk can start inside a block comment), so it never tries
 * to be a parser; being a little wrong is fine, being slow on a 10k-line diff is not.
 */
export type TokenKind = "plain" | "keyword" | "string" | "comment" | "number";
export interface Token {
  kind: TokenKind;
  text: string;
}

interface Grammar {
  lineComment: string[];
  blockComment: boolean;
  keywords: ReadonlySet<string>;
  caseInsensitive: boolean;
}

const words = (text: string) => new Set(text.split(/\s+/).filter(Boolean));

const cFamilyKeywords = words(`
  abstract as async await break case catch class const continue debugger declare default delete do else enum export
  extends false finally for from function get if implements import in instanceof interface let new null of package
  private protected public readonly return satisfies set static super switch this throw true try type typeof undefined
  var void while yield func go defer chan map struct range fn impl mut pub use mod match loop trait where crate self
  int long short double float char bool boolean string byte final throws override val fun when is nil
`);
const pythonKeywords = words(`
  and as assert async await break class continue def del elif else except False finally for from global if import in
  is lambda None nonlocal not or pass raise return True try while with yield self begin end module require unless until
  do then puts nil
`);
const shellKeywords = words(`if then else elif fi for in do done while until case esac function return export local echo set true false`);
const sqlKeywords = words(`
  select from where and or not null insert into values update set delete create alter drop table column add index
  primary key foreign references constraint default unique join left right inner outer on as order by group having
  limit offset integer int bigint text varchar boolean timestamp true false begin commit rollback if exists cascade
`);

const grammars: Record<string, Grammar> = {
  c: { lineComment: ["//"], blockComment: true, keywords: cFamilyKeywords, caseInsensitive: false },
  hash: { lineComment: ["#"], blockComment: false, keywords: pythonKeywords, caseInsensitive: false },
  shell: { lineComment: ["#"], blockComment: false, keywords: shellKeywords, caseInsensitive: false },
  sql: { lineComment: ["--"], blockComment: true, keywords: sqlKeywords, caseInsensitive: true },
  data: { lineComment: ["#"], blockComment: false, keywords: words("true false null yes no"), caseInsensitive: false },
};

const grammarByExtension: Record<string, keyof typeof grammars> = {
  py: "hash",
  rb: "hash",
  sh: "shell",
  bash: "shell",
  dockerfile: "shell",
  sql: "sql",
  yml: "data",
  yaml: "data",
  toml: "data",
  json: "data",
};
const cFamily = new Set(["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "go", "rs", "java", "kt", "swift", "c", "h", "cc", "cpp", "hpp", "cs", "php", "css", "scss", "prisma", "graphql", "proto"]);

export function grammarFor(path: string): Grammar | null {
  const ext = extensionOf(path);
  const name = grammarByExtension[ext] ?? (cFamily.has(ext) ? "c" : null);
  return name ? grammars[name] : null;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const patternCache = new Map<Grammar, RegExp>();

function patternFor(grammar: Grammar): RegExp {
  let pattern = patternCache.get(grammar);
  if (!pattern) {
    const comments = [...grammar.lineComment.map((c) => `${escapeRegex(c)}.*`), ...(grammar.blockComment ? ["/\\*.*?(?:\\*/|$)"] : [])];
    pattern = new RegExp(
      [
        `(?<comment>${comments.join("|")})`,
        // Unterminated strings run to the end of the line: the rest is inside the string.
        "(?<string>\"(?:[^\"\\\\]|\\\\.)*\"?|'(?:[^'\\\\]|\\\\.)*'?|`(?:[^`\\\\]|\\\\.)*`?)",
        "(?<number>\\b\\d[\\d_]*(?:\\.\\d+)?\\b)",
        "(?<word>[A-Za-z_$][\\w$]*)",
      ].join("|"),
      "g",
    );
    patternCache.set(grammar, pattern);
  }
  return pattern;
}

export function tokenize(line: string, grammar: Grammar | null): Token[] {
  if (!grammar || line.length > 2000) return [{ kind: "plain", text: line }];
  // A line inside a block comment ("* text" or "*/") is a comment, as far as one line can tell.
  if (grammar.blockComment && /^\s*(\*|\*\/)(\s|$)/.test(line)) return [{ kind: "comment", text: line }];
  const tokens: Token[] = [];
  const pattern = patternFor(grammar);
  pattern.lastIndex = 0;
  let last = 0;
  const push = (kind: TokenKind, text: string) => {
    const previous = tokens.at(-1);
    if (previous && previous.kind === kind) previous.text += text;
    else tokens.push({ kind, text });
  };
  for (let match = pattern.exec(line); match; match = pattern.exec(line)) {
    if (match.index > last) push("plain", line.slice(last, match.index));
    const groups = match.groups!;
    const text = match[0];
    if (groups.comment) push("comment", text);
    else if (groups.string) push("string", text);
    else if (groups.number) push("number", text);
    else push(grammar.keywords.has(grammar.caseInsensitive ? text.toLowerCase() : text) ? "keyword" : "plain", text);
    last = match.index + text.length;
  }
  if (last < line.length) push("plain", line.slice(last));
  return tokens;
}

export const tokenTone: Record<TokenKind, string> = {
  plain: "",
  keyword: "text-violet-700 font-medium",
  string: "text-emerald-700",
  comment: "text-slate-400 italic",
  number: "text-sky-700",
};
