/**
 * Who may do what: the one table every route handler, page and navigation item consults.
 */
export const roles = ["admin", "reviewer", "manager", "auditor"] as const;
export type Role = (typeof roles)[number];

/** Permissions an API token can carry as scopes. */
export const tokenScopes = ["runs:read", "runs:write", "escalations:read", "escalations:decide", "audit:read", "metrics:read", "deployments:read"] as const;
export type TokenScope = (typeof tokenScopes)[number];

/** Permissions that only a signed-in person holds, never a token. */
export const sessionOnlyPermissions = ["settings:manage", "tokens:manage", "users:manage"] as const;

export const permissions = [...tokenScopes, ...sessionOnlyPermissions] as const;
export type Permission = (typeof permissions)[number];

export const rolePermissions: Record<Role, readonly Permission[]> = {
  admin: permissions,
  reviewer: ["runs:read", "runs:write", "escalations:read", "escalations:decide", "deployments:read"],
  manager: ["runs:read", "metrics:read", "deployments:read"],
  auditor: ["runs:read", "audit:read", "metrics:read", "deployments:read"],
};

export function roleCan(role: Role, permission: Permission): boolean {
  return rolePermissions[role].includes(permission);
}

/**
 * A token acts for the user who created it: its scopes, capped by that user's current role.
 */
export function tokenCan(role: Role, scopes: readonly string[], permission: Permission): boolean {
  return (tokenScopes as readonly string[]).includes(permission) && scopes.includes(permission) && roleCan(role, permission);
}

export interface AppPage {
  href: string;
  label: string;
  permission: Permission;
}

/** The shell's sections, in navigation order, with the permission each needs. */
export const appPages: readonly AppPage[] = [
  { href: "/board", label: "Board", permission: "runs:read" },
  { href: "/inbox", label: "Inbox", permission: "escalations:decide" },
  { href: "/deployments", label: "Deployments", permission: "deployments:read" },
  { href: "/metrics", label: "Metrics", permission: "metrics:read" },
  { href: "/audit", label: "Audit", permission: "audit:read" },
  { href: "/settings", label: "Settings", permission: "settings:manage" },
];

export function pagesFor(role: Role): AppPage[] {
  return appPages.filter((page) => roleCan(role, page.permission));
}

export function appPage(href: string): AppPage {
  const page = appPages.find((p) => p.href === href);
  if (!page) throw new Error(`no app page ${href}`);
  return page;
}
