import { describe, expect, it } from "vitest";
import { API_CONTENT_SECURITY_POLICY, baseSecurityHeaders, pageContentSecurityPolicy, strictTransportSecurity } from "@/lib/http/security-headers";
import { assertSameOrigin } from "@/lib/http/same-origin";
import { parseRoleMap, roleForGroups } from "@/lib/auth/sso";

describe("security headers", () => {
  it("lets a page run only its own nonce's scripts, and nothing frame it", () => {
    const policy = pageContentSecurityPolicy("abc123==", { development: false });
    expect(policy).toContain("script-src 'self' 'nonce-abc123==' 'strict-dynamic'");
    expect(policy).not.toContain("unsafe-eval");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("object-src 'none'");
    expect(pageContentSecurityPolicy("n", { development: true })).toContain("'unsafe-eval'");
    expect(API_CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; frame-ancestors 'none'/);
    expect(baseSecurityHeaders["X-Frame-Options"]).toBe("DENY");
  });

  it("sends HSTS only over HTTPS, directly or behind a proxy that says so", () => {
    expect(strictTransportSecurity(new URL("https://flowgate.example/board"), null)).toMatch(/^max-age=\d+/);
    expect(strictTransportSecurity(new URL("http://localhost:3000/board"), "https")).toMatch(/^max-age=\d+/);
    expect(strictTransportSecurity(new URL("http://localhost:3000/board"), null)).toBeNull();
    expect(strictTransportSecurity(new URL("http://localhost:3000/board"), "http")).toBeNull();
  });
});

describe("cross-site requests with a session", () => {
  const request = (method: string, headers: Record<string, string>) => new Request("http://localhost:3000/api/v1/tokens", { method, headers });
  it("refuses another site's origin or a browser's cross-site mark, and passes reads and non-browser clients", () => {
    expect(() => assertSameOrigin(request("POST", { origin: "https://evil.example" }), "http://localhost:3000")).toThrow(/Cross-site request refused \(Origin/);
    expect(() => assertSameOrigin(request("DELETE", { "sec-fetch-site": "cross-site" }), undefined)).toThrow(/Sec-Fetch-Site: cross-site/);
    expect(() => assertSameOrigin(request("POST", { "sec-fetch-site": "same-site", origin: "http://localhost:3000" }), undefined)).toThrow(/same-site/);
    expect(() => assertSameOrigin(request("POST", { origin: "http://localhost:3000", "sec-fetch-site": "same-origin" }), undefined)).not.toThrow();
    expect(() => assertSameOrigin(request("POST", { origin: "https://flowgate.example" }), "https://flowgate.example/")).not.toThrow();
    expect(() => assertSameOrigin(request("POST", {}), undefined)).not.toThrow();
    expect(() => assertSameOrigin(request("GET", { origin: "https://evil.example" }), undefined)).not.toThrow();
  });
});

describe("single sign-on role mapping", () => {
  const map = parseRoleMap("flowgate-admins=admin, eng=reviewer,acme/platform-reviewers=reviewer");
  it("takes the first mapped group a person is in, else the default or a refusal", () => {
    expect(roleForGroups({ roleMap: map, defaultRole: "deny" }, ["eng", "flowgate-admins"])).toEqual({ role: "admin", group: "flowgate-admins" });
    expect(roleForGroups({ roleMap: map, defaultRole: "deny" }, ["sales"])).toBeNull();
    expect(roleForGroups({ roleMap: map, defaultRole: "auditor" }, [])).toEqual({ role: "auditor", group: null });
  });
  it("refuses a mapping it cannot read, naming the pair", () => {
    expect(() => parseRoleMap("eng=superuser")).toThrow(/"eng=superuser" must be group=role/);
    expect(() => parseRoleMap("=admin")).toThrow(/must be group=role/);
  });
});
