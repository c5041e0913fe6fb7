import { ApiError } from "./errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF in depth for requests authenticated by the session cookie (API tokens are not sent by
 * browsers on their own, so they need none of this). SameSite=Lax already keeps the cookie off
 * cross-site POSTs in current browsers; this refuses a state-changing request that a browser
 * marks as coming from another site (Sec-Fetch-Site) or whose Origin is not Flowgate's own.
 * A request with neither header is not from a browser page (curl, the CLI) and passes.
 */
export function assertSameOrigin(req: Request, appUrl: string | undefined) {
  if (SAFE_METHODS.has(req.method)) return;
  const fetchSite = req.headers.get("sec-fetch-site");
  if (fetchSite && fetchSite !== "same-origin" && fetchSite !== "none") {
    throw new ApiError("forbidden", `Cross-site request refused (Sec-Fetch-Site: ${fetchSite}); state-changing requests with a session must come from Flowgate's own pages`);
  }
  const origin = req.headers.get("origin");
  if (origin === null) return;
  const allowed = new Set([new URL(req.url).origin]);
  if (appUrl) allowed.add(new URL(appUrl).origin);
  const host = req.headers.get("host");
  if (host) allowed.add(`${new URL(req.url).protocol}//${host}`);
  if (!allowed.has(origin)) throw new ApiError("forbidden", `Cross-site request refused (Origin: ${origin}); state-changing requests with a session must come from Flowgate's own pages`);
}
