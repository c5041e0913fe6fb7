/**
 * API breaks visible in the diff: removed or re-signed exports (TypeScript/JavaScript, Python) and
 * removed HTTP routes and route files.
 */
import type { RuleFinding } from "../../../lib/review/review-output";
import { extensionOf, isCommentLine, isRoutePath, JS_EXTENSIONS, type FileView, type NumberedLine } from "../file-view";
import { finding } from "../finding";

export interface Declaration {
  name: string;
  /** What the message calls it: "function", "const", "route"... */
  kind: string;
  /**
   * The part whose change breaks callers (whitespace removed), or null when only presence is
   * compared (classes and types keep their shape in the body, which a line diff cannot compare).
   */
  signature: string | null;
  line: number;
}

const HTTP_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

/** The text inside the first balanced parentheses from `from`, or the rest of the line. */
function parameterList(content: string, from: number): string {
  let depth = 0;
  for (let i = from; i < content.length; i++) {
    if (content[i] === "(") depth++;
    else if (content[i] === ")" && --depth === 0) return content.slice(from, i + 1);
  }
  return content.slice(from);
}

/** Formatting-only edits are not breaks: compare without whitespace and trailing commas. */
function normalizeSignature(text: string): string {
  return text.replace(/\s+/g, "").replace(/,\)/g, ")");
}

function jsDeclarations(content: string, line: number): Declaration[] {
  let m = /^\s*export\s+(?:default\s+)?(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)?\s*(?:<[^(]*>)?\s*\(/.exec(content);
  if (m) {
    const name = m[1] ?? "default";
    return [{ name, kind: "function", signature: normalizeSignature(parameterList(content, m[0].length - 1)), line }];
  }
  m = /^\s*export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(:[^=]*)?=\s*(.*)$/.exec(content);
  if (m) {
    const [, name, typeAnnotation, value] = m;
    // Arrow and function expressions compare by parameters; other consts by declared type, and a
    // changed value alone (a tweaked constant) is not a break.
    const arrow = /^(?:async\s+)?(?:function\s*\*?\s*\w*\s*)?(?:<[^(]*>)?\s*\(/.exec(value);
    const signature = arrow ? parameterList(value, arrow[0].length - 1) : (typeAnnotation ?? "");
    return [{ name, kind: "const", signature: normalizeSignature(signature), line }];
  }
  m = /^\s*export\s+(?:default\s+)?(?:abstract\s+|declare\s+)?(class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/.exec(content);
  if (m) return [{ name: m[2], kind: m[1], signature: null, line }];
  m = /^\s*export\s+default\s+(.*)$/.exec(content);
  if (m) return [{ name: "default", kind: "default export", signature: normalizeSignature(m[1]), line }];
  m = /^\s*export\s+(?:type\s+)?\{([^}]*)\}/.exec(content);
  if (m) {
    return m[1]
      .split(",")
      .map((part) => part.trim().split(/\s+as\s+/).at(-1)!.replace(/^type\s+/, ""))
      .filter(Boolean)
      .map((name) => ({ name, kind: "re-export", signature: null, line }));
  }
  m = /^\s*module\.exports\s*=\s*(.*)$/.exec(content);
  if (m) return [{ name: "module.exports", kind: "CommonJS export", signature: normalizeSignature(m[1]), line }];
  m = /^\s*(?:module\.)?exports\.([A-Za-z_$][\w$]*)\s*=/.exec(content);
  if (m) return [{ name: `exports.${m[1]}`, kind: "CommonJS export", signature: null, line }];
  return [];
}

function pythonDeclarations(content: string, line: number): Declaration[] {
  // Top level only (column 0), and not _private: a leading underscore says "not public API".
  const def = /^(?:async\s+)?def\s+([A-Za-z]\w*)\s*\(/.exec(content);
  if (def) return [{ name: def[1], kind: "function", signature: normalizeSignature(parameterList(content, def[0].length - 1)), line }];
  const cls = /^class\s+([A-Za-z]\w*)/.exec(content);
  if (cls) return [{ name: cls[1], kind: "class", signature: null, line }];
  return [];
}

/**
 * Express/Koa/Fastify `router.get('/x'`, and Flask/FastAPI `@app.get('/x'` / `@app.route('/x'`.
 * The path must start with "/": Express's app.get("env") reads a setting, and receivers such as
 * `api.get(` are usually HTTP clients, so they are not listed.
 */
const ROUTE_REGISTRATION = /\b(?:router|app|server|blueprint|bp)\.(get|post|put|patch|delete|all|route|head|options)\s*\(\s*["'`](\/[^"'`]*)["'`]/;

/**
 * Route registrations of other frameworks, each as (method, path): Go's ServeMux and gorilla
 * (`HandleFunc("/x"`), gin and echo (`r.GET("/x"`), Spring (`@GetMapping("/x")`), Laravel
 * (`Route::get('/x'`) and Rails routes files (`get '/x'`). Method "ANY" where the call names none.
 */
const OTHER_ROUTE_REGISTRATIONS: { pattern: RegExp; method: (m: RegExpExecArray) => string }[] = [
  { pattern: /\.(?:HandleFunc|Handle)\s*\(\s*"((?:[A-Z]+ )?\/[^"]*)"/, method: () => "ANY" },
  { pattern: /\.(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|Any)\s*\(\s*"(\/[^"]*)"/, method: (m) => m[1].toUpperCase() },
  { pattern: /@(Get|Post|Put|Patch|Delete|Request)Mapping\s*\(\s*(?:(?:value|path)\s*=\s*)?\{?\s*"(\/[^"]*)"/, method: (m) => (m[1] === "Request" ? "ANY" : m[1].toUpperCase()) },
  { pattern: /\bRoute::(get|post|put|patch|delete|any|match)\s*\(\s*['"](\/?[^'"]*)['"]/, method: (m) => m[1].toUpperCase() },
  { pattern: /\b(?:re_)?path\s*\(\s*r?['"]([^'"]*)['"]\s*,/, method: () => "ANY" },
  { pattern: /^\s*(get|post|put|patch|delete|match)\s+['"](\/?[^'"]*)['"]/, method: (m) => m[1].toUpperCase() },
];

/** config/routes.rb and the files it draws in (config/routes/*.rb). */
export const isRailsRoutesFile = (path: string) => /(?:^|\/)config\/routes(?:\/[^/]+)?\.rb$/.test(path);

export function routeDeclarations(content: string, line: number, path: string): Declaration[] {
  if (isCommentLine(content)) return [];
  const m = ROUTE_REGISTRATION.exec(content);
  if (m) return [{ name: `${m[1].toUpperCase()} ${m[2]}`, kind: "route", signature: null, line }];
  for (const [index, { pattern, method }] of OTHER_ROUTE_REGISTRATIONS.entries()) {
    // Django's `path("x/", view)` only means a route in a urls.py; the bare `get '/x'` form only
    // inside a Rails routes file.
    if (index === OTHER_ROUTE_REGISTRATIONS.length - 2 && !/(?:^|\/)urls\.py$/.test(path)) continue;
    if (index === OTHER_ROUTE_REGISTRATIONS.length - 1 && !isRailsRoutesFile(path)) continue;
    const found = pattern.exec(content);
    if (found) return [{ name: `${method(found)} ${found.at(-1)}`, kind: "route", signature: null, line }];
  }
  return [];
}

function declarationsIn(lines: NumberedLine[], path: string): Declaration[] {
  const ext = extensionOf(path);
  return lines.flatMap(({ line, content }) => [
    ...(JS_EXTENSIONS.has(ext) ? jsDeclarations(content, line) : []),
    ...(ext === "py" ? pythonDeclarations(content, line) : []),
    ...routeDeclarations(content, line, path),
  ]);
}

export function detectApiBreaks(view: FileView): RuleFinding[] {
  if (view.isTest || view.isDoc) return [];
  const { file } = view;
  const findings: RuleFinding[] = [];
  const routeGone = file.oldPath !== null && isRoutePath(file.oldPath) && (file.status === "deleted" || file.status === "renamed");
  if (routeGone) {
    const what = file.status === "deleted" ? "Deletes" : `Moves (to ${file.newPath})`;
    findings.push(finding("api_break", "api.route-file-removed", "high", file.oldPath!, null, `${what} the route file ${file.oldPath}: clients of its endpoints break.`));
    // The file-level finding already covers every handler in a deleted route file.
    if (file.status === "deleted") return findings;
  }

  const added = declarationsIn(view.added, view.path);
  for (const removed of declarationsIn(view.deleted, view.oldPath)) {
    const sameName = added.filter((d) => d.name === removed.name);
    if (sameName.some((d) => d.signature === null || removed.signature === null || d.signature === removed.signature)) continue;
    findings.push(apiBreakFinding(view.oldPath, removed, sameName[0]));
  }
  return findings;
}

function apiBreakFinding(file: string, removed: Declaration, replacement: Declaration | undefined): RuleFinding {
  const label = removed.kind === "route" ? `route ${removed.name}` : HTTP_METHODS.has(removed.name) ? `${removed.name} route handler` : `${removed.kind} "${removed.name}"`;
  const rule = removed.kind === "route" || HTTP_METHODS.has(removed.name) ? "api.route-removed" : replacement ? "api.signature-changed" : "api.export-removed";
  const message = replacement
    ? `Changes the signature of exported ${label} from ${removed.signature || "(none)"} to ${replacement.signature || "(none)"}: callers may break.`
    : `Removes exported ${label}: callers may break.`;
  return finding("api_break", rule, "high", file, removed.line, message);
}

