import { describe, expect, it } from "vitest";
import { appPages, pagesFor, permissions, roleCan, roles, sessionOnlyPermissions, tokenCan, tokenScopes } from "@/lib/auth/roles";

describe("role table", () => {
  it("gives admin every permission", () => {
    for (const permission of permissions) expect(roleCan("admin", permission)).toBe(true);
  });

  it.each([
    ["reviewer", "escalations:decide", true],
    ["reviewer", "audit:read", false],
    ["reviewer", "settings:manage", false],
    ["manager", "metrics:read", true],
    ["manager", "escalations:decide", false],
    ["manager", "audit:read", false],
    ["auditor", "audit:read", true],
    ["auditor", "escalations:decide", false],
    ["auditor", "runs:write", false],
    ["reviewer", "deployments:read", true],
    ["manager", "deployments:read", true],
    ["auditor", "deployments:read", true],
  ] as const)("%s may %s: %s", (role, permission, expected) => {
    expect(roleCan(role, permission)).toBe(expected);
  });

  it("caps a token's scopes by its owner's role", () => {
    expect(tokenCan("reviewer", ["audit:read", "runs:write"], "audit:read")).toBe(false);
    expect(tokenCan("reviewer", ["audit:read", "runs:write"], "runs:write")).toBe(true);
    expect(tokenCan("admin", ["runs:read"], "runs:write")).toBe(false);
  });

  it("lets a token carry deployments:read, as every role that sees the Deployments page holds it", () => {
    expect(tokenScopes).toContain("deployments:read");
    for (const role of roles) {
      expect(pagesFor(role).some((p) => p.href === "/deployments")).toBe(roleCan(role, "deployments:read"));
      expect(tokenCan(role, ["deployments:read"], "deployments:read")).toBe(true);
      expect(tokenCan(role, ["runs:read"], "deployments:read")).toBe(false);
    }
  });

  it("never lets a token carry a session-only permission, even for an admin", () => {
    for (const permission of sessionOnlyPermissions) {
      expect(tokenCan("admin", [...tokenScopes, permission], permission)).toBe(false);
    }
  });

  it("shows each role exactly the pages its permissions allow", () => {
    expect(pagesFor("admin").map((p) => p.label)).toEqual(appPages.map((p) => p.label));
    expect(pagesFor("reviewer").map((p) => p.label)).toEqual(["Board", "Inbox", "Deployments"]);
    expect(pagesFor("manager").map((p) => p.label)).toEqual(["Board", "Deployments", "Metrics"]);
    expect(pagesFor("auditor").map((p) => p.label)).toEqual(["Board", "Deployments", "Metrics", "Audit"]);
    for (const role of roles) expect(pagesFor(role).length).toBeGreaterThan(0);
  });
});
