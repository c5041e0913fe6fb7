import type { NextConfig } from "next";
import { API_CONTENT_SECURITY_POLICY, baseSecurityHeaders } from "./lib/http/security-headers";

const headerList = (extra: Record<string, string> = {}) => Object.entries({ ...baseSecurityHeaders, ...extra }).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // The runner and CLI share lib/ with the app; type errors are caught by `npm run typecheck`
  // in the test command rather than slowing every production build.
  typescript: { ignoreBuildErrors: true },
  // pdfkit reads its font metrics (.afm files) from its own folder at run time; bundled, that
  // path would point into .next. Loaded from node_modules instead (the audit PDF reports).
  serverExternalPackages: ["pdfkit"],
  // Pages get their headers (with a per-request CSP nonce) from proxy.ts; API responses and static
  // files get these, with a policy that allows nothing.
  async headers() {
    return [
      { source: "/api/:path*", headers: headerList({ "Content-Security-Policy": API_CONTENT_SECURITY_POLICY }) },
      { source: "/_next/:path*", headers: headerList({ "Content-Security-Policy": API_CONTENT_SECURITY_POLICY }) },
      { source: "/favicon.ico", headers: headerList({ "Content-Security-Policy": API_CONTENT_SECURITY_POLICY }) },
    ];
  },
};

export default nextConfig;
