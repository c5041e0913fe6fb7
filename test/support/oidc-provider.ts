import type { AddressInfo } from "node:net";
import type http from "node:http";

export interface FakeIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** People by login name; their groups may be changed between sign-ins. */
  people: Record<string, { email: string; name: string; groups: string[] }>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (panva's oidc-provider, the certified implementation) on
 * 127.0.0.1: discovery, the authorization-code flow with PKCE, signed ID tokens, and its
 * development login and consent pages, which the browser tests fill in like a person would.
 */
export async function startOidcProvider(options: { redirectUri: string; people: FakeIdentityProvider["people"] }): Promise<FakeIdentityProvider> {
  const { default: Provider } = await import("oidc-provider");
  const people = options.people;
  const clientId = "flowgate";
  const clientSecret = "flowgate-oidc-test-secret-0123456789";
  // Listen first: the issuer URL needs the port.
  const { createServer } = await import("node:http");
  const server: http.Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [options.redirectUri], grant_types: ["authorization_code"], response_types: ["code"] }],
    scopes: ["openid", "email", "profile", "groups"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // The groups claim in the ID token itself (next-auth reads the profile from it).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ["oidc-provider-test-cookie-key"] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      const person = people[id];
      if (!person) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: person.email, email_verified: true, name: person.name, groups: person.groups }) };
    },
  } as never);
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    people,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
