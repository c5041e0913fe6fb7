/** Changes to authentication and authorization code: by path, and role or permission checks in any file. */
import type { RuleFinding } from "../../../lib/review/review-output";
import { changedLines, isCommentLine, pathWords, type FileView } from "../file-view";
import { finding } from "../finding";
import { withoutStringContents } from "../line-text";

/**
 * Path words that mark access-control code. Matched against whole words of the path (split at
 * "/", ".", "-", "_" and camelCase), so "author.ts" or "sessionless-cache" do not count as
 * "auth" and "session". proxy is Next.js 16's name for middleware.
 */
const AUTH_PATH_WORDS = new Set([
  "auth",
  "authn",
  "authz",
  "authentication",
  "authorization",
  "authorize",
  "oauth",
  "nextauth",
  "permission",
  "permissions",
  "rbac",
  "session",
  "sessions",
  "login",
  "logout",
  "signin",
  "acl",
  "acls",
  "policy",
  "policies",
  "middleware",
  "proxy",
]);

/**
 * Role and permission checks in any file. `role ===` needs two "=" so JSX's role="button" does not
 * count.
 */
const ROLE_CHECK =
  /\broles?\s*(?:===?|!==?)|\broles?\.(?:includes|has|indexOf)\s*\(|\b(?:hasRole|hasPermission|hasPermissions|isAdmin|is_admin|isSuperuser|is_superuser|is_staff|requireRole|requirePermission|requireAuth|checkPermission|roleCan|tokenCan|authorize)\b/;


function isAuthPath(path: string): boolean {
  return pathWords(path).some((word) => AUTH_PATH_WORDS.has(word));
}


export function detectAuthChange(view: FileView): RuleFinding[] {
  // Tests of access control do not change who may do what.
  if (view.isTest || view.isDoc) return [];
  const changed = changedLines(view.file);
  if (isAuthPath(view.file.oldPath ?? "") || isAuthPath(view.path)) {
    const first = changed[0];
    const file = first?.kind === "del" ? view.oldPath : view.path;
    // A pure rename or deletion of an auth file has no lines but can switch a check off.
    return [finding("auth_change", "auth.sensitive-path", "medium", file, first?.line ?? null, `Changes authentication or authorization code (${view.file.status} file); check who gains or loses access.`)];
  }
  const roleLine = changed.find((l) => !isCommentLine(l.content) && ROLE_CHECK.test(withoutStringContents(l.content)));
  if (!roleLine) return [];
  const file = roleLine.kind === "del" ? view.oldPath : view.path;
  return [finding("auth_change", "auth.role-check", "medium", file, roleLine.line, `${roleLine.kind === "add" ? "Adds" : "Removes"} a role or permission check.`)];
}

