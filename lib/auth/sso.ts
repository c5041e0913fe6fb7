import type { Provider } from "next-auth/providers/index";
import { appendAuditEvent } from "../audit/chain/append-audit-event";
import type { Db } from "../db/client";
import type { RuntimeEnv } from "../env";
import { roles, type Role } from "./roles";

/**
 * Single sign-on through an OpenID Connect identity provider (Okta, Google Workspace, Entra ID,
 * Dex, Keycloak …): authorization-code flow with PKCE and state through next-auth. A person's role
 * comes from their groups claim through FLOWGATE_SSO_ROLE_MAP on every sign-in, so a group change
 * at the identity provider changes the role at the next sign-in; a person in no mapped group gets
 * FLOWGATE_SSO_DEFAULT_ROLE, or is refused when it is "deny" (the default).
 */
/** Where people come from and how their groups map to roles: an OIDC provider or GitHub. */
export interface ExternalSignIn {
  provider: "oidc" | "github";
  name: string;
  /** The identity provider's address, recorded with each mapping. */
  issuer: string;
  roleMap: { group: string; role: Role }[];
  defaultRole: Role | "deny";
}

export interface SsoConfig extends ExternalSignIn {
  provider: "oidc";
  clientId: string;
  clientSecret: string;
  name: string;
  scopes: string;
  groupsClaim: string;
  roleMap: { group: string; role: Role }[];
  defaultRole: Role | "deny";
}

export function ssoConfigOf(config: RuntimeEnv): SsoConfig | null {
  if (!config.FLOWGATE_OIDC_ISSUER) return null;
  if (!config.FLOWGATE_OIDC_CLIENT_ID || !config.FLOWGATE_OIDC_CLIENT_SECRET) throw new Error("FLOWGATE_OIDC_ISSUER is set: FLOWGATE_OIDC_CLIENT_ID and FLOWGATE_OIDC_CLIENT_SECRET are required too");
  return {
    provider: "oidc",
    issuer: config.FLOWGATE_OIDC_ISSUER.replace(/\/$/, ""),
    clientId: config.FLOWGATE_OIDC_CLIENT_ID,
    clientSecret: config.FLOWGATE_OIDC_CLIENT_SECRET,
    name: config.FLOWGATE_OIDC_NAME,
    scopes: config.FLOWGATE_OIDC_SCOPES,
    groupsClaim: config.FLOWGATE_OIDC_GROUPS_CLAIM,
    roleMap: parseRoleMap(config.FLOWGATE_SSO_ROLE_MAP ?? ""),
    defaultRole: config.FLOWGATE_SSO_DEFAULT_ROLE,
  };
}

export function parseRoleMap(text: string, variable = "FLOWGATE_SSO_ROLE_MAP"): { group: string; role: Role }[] {
  return text
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.lastIndexOf("=");
      const group = pair.slice(0, at).trim();
      const role = pair.slice(at + 1).trim() as Role;
      if (at <= 0 || !roles.includes(role)) throw new Error(`${variable}: "${pair}" must be group=role with a role of ${roles.join(", ")}`);
      return { group, role };
    });
}

/** The role a person's groups grant: the first mapping whose group they are in, else the default. */
export function roleForGroups(config: Pick<ExternalSignIn, "roleMap" | "defaultRole">, groups: string[]): { role: Role; group: string | null } | null {
  const match = config.roleMap.find((m) => groups.includes(m.group));
  if (match) return { role: match.role, group: match.group };
  return config.defaultRole === "deny" ? null : { role: config.defaultRole, group: null };
}

export function groupsOf(profile: Record<string, unknown>, claim: string): string[] {
  const value = profile[claim];
  return Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : [];
}

export function oidcProvider(config: SsoConfig): Provider {
  return {
    id: "oidc",
    name: config.name,
    type: "oauth",
    wellKnown: `${config.issuer}/.well-known/openid-configuration`,
    authorization: { params: { scope: config.scopes } },
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    idToken: true,
    checks: ["pkce", "state"],
    profile(profile: Record<string, unknown>) {
      return { id: String(profile.sub), email: String(profile.email ?? "").toLowerCase(), name: String(profile.name ?? profile.email ?? profile.sub), groups: groupsOf(profile, config.groupsClaim) };
    },
  } as Provider;
}

/**
 * At each SSO sign-in: the person's role from their groups, their user created on first sign-in or
 * updated (role changes audited as applied by the mapping). Returns the user, or why they are refused.
 */
export async function applySsoSignIn(db: Db, config: ExternalSignIn, person: { email: string; name: string; groups: string[] }) {
  const granted = roleForGroups(config, person.groups);
  if (!person.email) return { refused: "the identity provider sent no email address" } as const;
  if (!granted) return { refused: `none of ${person.email}'s groups (${person.groups.join(", ") || "none"}) is mapped to a role` } as const;
  return db.$transaction(async (tx) => {
    const existing = await tx.user.findUnique({ where: { email: person.email } });
    if (existing?.disabledAt) return { refused: `${person.email} is disabled in Flowgate` } as const;
    const actor = { type: "system", id: "sso", label: `single sign-on (${config.name})` } as const;
    const mapping = { provider: config.provider, groups: person.groups, group: granted.group, role: granted.role, issuer: config.issuer };
    if (!existing) {
      // No password: "!" never matches a bcrypt hash, so this account signs in through SSO only.
      const user = await tx.user.create({ data: { email: person.email, name: person.name, role: granted.role, passwordHash: "!sso" } });
      await appendAuditEvent(tx, { actor, action: "user.created", subject: { type: "user", id: user.id }, payload: { email: user.email, role: user.role, via: config.provider } });
      await appendAuditEvent(tx, { actor, action: "sso.role_mapping_applied", subject: { type: "user", id: user.id }, payload: { email: user.email, ...mapping } });
      return { user } as const;
    }
    if (existing.role === granted.role) return { user: existing } as const;
    const user = await tx.user.update({ where: { id: existing.id }, data: { role: granted.role } });
    await appendAuditEvent(tx, { actor, action: "user.role_changed", subject: { type: "user", id: user.id }, payload: { email: user.email, from: existing.role, to: user.role, via: config.provider } });
    await appendAuditEvent(tx, { actor, action: "sso.role_mapping_applied", subject: { type: "user", id: user.id }, payload: { email: user.email, ...mapping } });
    return { user } as const;
  });
}
