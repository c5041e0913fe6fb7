/**
 * What kind of file a repository path is, judged by its name alone: the mapping of coverage onto
 * a diff must not read the checkout.
 */

const TEST_DIRECTORIES = new Set(["test", "tests", "__tests__", "spec"]);

const TEST_FILE_NAMES = [
  /\.(test|spec)\.[^/]+$/, // a.test.ts, a.spec.jsx
  /^test_[^/]*\.py$/, // pytest: test_stock.py
  /_test\.(py|go|rb)$/, // stock_test.py, cart_test.go, minitest's cart_test.rb
  /_spec\.rb$/, // RSpec
  /^conftest\.py$/, // pytest fixtures
  /(Test|Tests)\.(java|kt|scala|groovy|cs)$/, // JUnit/xUnit classes outside src/test (CartTest.java)
];

/** Test code: under a test directory (test/, tests/, __tests__/, spec/, src/test/java/...) or named like a test. */
export function isTestFile(path: string): boolean {
  const segments = path.replace(/\\/g, "/").split("/");
  const name = segments.at(-1) ?? "";
  if (segments.slice(0, -1).some((segment) => TEST_DIRECTORIES.has(segment))) return true;
  return TEST_FILE_NAMES.some((pattern) => pattern.test(name));
}

/** How comments are written in a language, for telling comment-only lines from code. */
export interface CommentSyntax {
  lineComment: readonly string[];
  blockComment: readonly [string, string] | null;
  /** Python: a line that opens with a triple quote is a docstring, not code. */
  docstrings: boolean;
}

const C_STYLE: CommentSyntax = { lineComment: ["//"], blockComment: ["/*", "*/"], docstrings: false };
const HASH: CommentSyntax = { lineComment: ["#"], blockComment: null, docstrings: false };
const PYTHON: CommentSyntax = { lineComment: ["#"], blockComment: null, docstrings: true };
// "#[" opens a PHP 8 attribute, which is code.
const PHP: CommentSyntax = { lineComment: ["//", "#"], blockComment: ["/*", "*/"], docstrings: false };
const RUBY: CommentSyntax = { lineComment: ["#"], blockComment: ["=begin", "=end"], docstrings: false };
const LUA: CommentSyntax = { lineComment: ["--"], blockComment: ["--[[", "]]"], docstrings: false };
const ERLANG: CommentSyntax = { lineComment: ["%"], blockComment: null, docstrings: false };
const LISP: CommentSyntax = { lineComment: [";"], blockComment: null, docstrings: false };

/**
 * Languages whose tests can produce line coverage in Istanbul JSON, lcov or Cobertura. Shell,
 * SQL and markup are left out on purpose: no coverage tool measures them, so counting their
 * lines would only ever show them as uncovered.
 */
const SOURCE_EXTENSIONS: ReadonlyMap<string, CommentSyntax> = new Map([
  ...["js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "vue", "svelte"].map((ext) => [ext, C_STYLE] as const),
  ...["java", "kt", "kts", "scala", "groovy", "go", "cs", "rs", "swift", "dart"].map((ext) => [ext, C_STYLE] as const),
  ...["c", "h", "cc", "cpp", "cxx", "hh", "hpp", "hxx", "m", "mm"].map((ext) => [ext, C_STYLE] as const),
  ["py", PYTHON],
  ["php", PHP],
  ["rb", RUBY],
  ...["ex", "exs", "pl", "pm", "r"].map((ext) => [ext, HASH] as const),
  ["lua", LUA],
  ["erl", ERLANG],
  ...["clj", "cljs"].map((ext) => [ext, LISP] as const),
]);

/** Files that hold no code even though their extension says otherwise. */
const GENERATED_OR_DECLARATIONS = /(\.d\.[mc]?ts|\.min\.js)$/;

function extensionOf(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** Program source by its extension (js, ts, py, java, go, ...); not docs, data, config or lockfiles. */
export function isSourceFile(path: string): boolean {
  return SOURCE_EXTENSIONS.has(extensionOf(path)) && !GENERATED_OR_DECLARATIONS.test(path);
}

/** The comment syntax of a source file, or null when the extension is not a known language. */
export function commentSyntaxOf(path: string): CommentSyntax | null {
  return SOURCE_EXTENSIONS.get(extensionOf(path)) ?? null;
}
