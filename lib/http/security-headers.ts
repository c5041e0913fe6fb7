/**
 * The security headers every response carries (issue #20). Pages get a Content-Security-Policy
 * with a per-request nonce for scripts (set in proxy.ts, which Next.js reads to nonce its own
 * scripts); API responses and static files get a policy that allows nothing at all. Nothing may
 * frame Flowgate: a framed inbox would let another site trick a reviewer into pressing Approve.
 */

/** Headers for every response, pages and API alike. */
export const baseSecurityHeaders: Record<string, string> = {
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
  "Cross-Origin-Opener-Policy": "same-origin",
};

/** JSON, CSV, PDF and static files: nothing in them may run, load or be framed. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * A page's policy. Scripts only with this request's nonce ('strict-dynamic' lets them load the
 * chunks they import); styles from the app and inline style attributes (charts set them);
 * connections to the app itself; no plugins, no framing, forms only to the app.
 */
export function pageContentSecurityPolicy(nonce: string, options: { development: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${options.development ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** HSTS only when the request came over HTTPS (directly, or as a proxy in front says). */
export function strictTransportSecurity(url: URL, forwardedProto: string | null): string | null {
  const https = url.protocol === "https:" || forwardedProto?.split(",")[0].trim() === "https";
  return https ? "max-age=31536000; includeSubDomains" : null;
}
