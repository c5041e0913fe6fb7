/**
 * Signs in through next-auth's real credentials flow (CSRF token, callback, session cookie),
 * as a browser would, and returns the session cookie.
 */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string | null> {
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const csrfCookie = cookiesFrom(csrfResponse);
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const cookies = cookiesFrom(response);
  return cookies.includes("next-auth.session-token=") ? cookies : null;
}

function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
}

/**
 * One sign-in attempt through the credentials flow, from a given client address (X-Forwarded-For,
 * which is how Flowgate reads the address): the session cookie if it worked, else next-auth's error.
 */
export async function signInAttempt(baseUrl: string, email: string, password: string, options: { address?: string } = {}) {
  const headers: Record<string, string> = options.address ? { "x-forwarded-for": options.address } : {};
  const csrfResponse = await fetch(`${baseUrl}/api/auth/csrf`, { headers });
  const { csrfToken } = (await csrfResponse.json()) as { csrfToken: string };
  const response = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded", cookie: cookiesFrom(csrfResponse) },
    body: new URLSearchParams({ csrfToken, email, password, json: "true" }),
  });
  const cookies = cookiesFrom(response);
  const body = (await response.json().catch(() => ({}))) as { url?: string };
  const error = body.url ? new URL(body.url).searchParams.get("error") : null;
  return { signedIn: cookies.includes("next-auth.session-token="), error, status: response.status };
}
