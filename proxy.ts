import { withAuth, type NextRequestWithAuth } from "next-auth/middleware";
import { NextResponse, type NextFetchEvent } from "next/server";
import { baseSecurityHeaders, pageContentSecurityPolicy, strictTransportSecurity } from "./lib/http/security-headers";

// Pages need a session; which role may open which page is decided on the server by each page
// (lib/auth/page-access, from the one table in lib/auth/roles), so a signed-in user without the
// role sees "not available" rather than being sent back to sign-in. API routes check in route()
// and get their headers from next.config.ts.
const requireSession = withAuth({
  pages: { signIn: "/signin" },
  callbacks: { authorized: ({ token }) => Boolean(token?.sub) },
});

/**
 * Every page: a session (except the sign-in page itself), and the security headers with a fresh
 * CSP nonce, on the page and on a redirect to sign-in alike.
 */
export default async function proxy(req: NextRequestWithAuth, event: NextFetchEvent) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  // process.env.NODE_ENV, not env(): Next.js's build mode (inlined at build time), not Flowgate's configuration.
  const policy = pageContentSecurityPolicy(nonce, { development: process.env.NODE_ENV === "development" });
  const refused = req.nextUrl.pathname === "/signin" ? undefined : await requireSession(req, event);
  let response: Response;
  if (refused) {
    response = refused;
  } else {
    // Next.js reads the policy from the request to put the nonce on the scripts it renders.
    const requestHeaders = new Headers(req.headers);
    requestHeaders.set("x-nonce", nonce);
    requestHeaders.set("content-security-policy", policy);
    response = NextResponse.next({ request: { headers: requestHeaders } });
  }
  response.headers.set("content-security-policy", policy);
  for (const [name, value] of Object.entries(baseSecurityHeaders)) response.headers.set(name, value);
  const hsts = strictTransportSecurity(req.nextUrl, req.headers.get("x-forwarded-proto"));
  if (hsts) response.headers.set("strict-transport-security", hsts);
  return response;
}

export const config = {
  matcher: ["/((?!api|_next/static|_next/image|favicon.ico).*)"],
};
