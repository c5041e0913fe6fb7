import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeGitHubPerson {
  id: number;
  login: string;
  name: string;
  emails: { email: string; primary: boolean; verified: boolean; visibility: string | null }[];
  teams: { slug: string; org: string }[];
}

export interface FakeGitHub {
  url: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  people: Record<string, FakeGitHubPerson>;
  /** Requests the API answered, path by path (the test checks which endpoints Flowgate used). */
  apiCalls: string[];
  close(): Promise<void>;
}

/**
 * GitHub's OAuth web flow and the three REST endpoints sign-in reads, on 127.0.0.1, in GitHub's
 * wire format: GET /login/oauth/authorize shows an authorize page (one button per person, as a
 * stand-in for GitHub's sign-in), redirects back with code and state; POST
 * /login/oauth/access_token exchanges the code (client id and secret checked, JSON when asked for);
 * GET /api/user, /api/user/emails and /api/user/teams answer with the documented fields for the
 * token's person, and 401 with GitHub's error body for any other token.
 */
export async function startFakeGitHub(people: Record<string, FakeGitHubPerson>): Promise<FakeGitHub> {
  const clientId = "Iv1.flowgatetest0001";
  const clientSecret = randomBytes(20).toString("hex");
  const codes = new Map<string, string>();
  const tokens = new Map<string, string>();
  const apiCalls: string[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://github.test");
    const send = (status: number, body: unknown, type = "application/json; charset=utf-8") => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
      if (url.searchParams.get("client_id") !== clientId) return send(404, "Not Found", "text/plain");
      const back = (login: string) => {
        const params = new URLSearchParams(url.searchParams);
        params.set("login", login);
        return `/login/oauth/approve?${params}`;
      };
      return send(200, `<!doctype html><title>Authorize application</title><h1>Authorize Flowgate</h1>${Object.keys(people).map((login) => `<a class="btn" href="${back(login)}">Authorize as ${login}</a>`).join(" ")}`, "text/html");
    }
    if (req.method === "GET" && url.pathname === "/login/oauth/approve") {
      const code = randomBytes(10).toString("hex");
      codes.set(code, url.searchParams.get("login") ?? "");
      const redirect = new URL(url.searchParams.get("redirect_uri")!);
      redirect.searchParams.set("code", code);
      redirect.searchParams.set("state", url.searchParams.get("state") ?? "");
      res.writeHead(302, { location: redirect.toString() });
      return res.end();
    }
    if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const form = new URLSearchParams(body);
      const basic = req.headers.authorization?.startsWith("Basic ") ? Buffer.from(req.headers.authorization.slice(6), "base64").toString().split(":").map(decodeURIComponent) : [];
      const [id, secret] = basic.length === 2 ? basic : [form.get("client_id"), form.get("client_secret")];
      const login = codes.get(form.get("code") ?? "");
      if (id !== clientId || secret !== clientSecret || !login) return send(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired.", error_uri: "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code" });
      codes.delete(form.get("code")!);
      const token = `gho_${randomBytes(18).toString("hex")}`;
      tokens.set(token, login);
      return send(200, { access_token: token, token_type: "bearer", scope: "read:org,read:user,user:email" });
    }
    if (req.method === "GET" && url.pathname.startsWith("/api/")) {
      apiCalls.push(url.pathname);
      const token = /^(?:Bearer|token) (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
      const person = token ? people[tokens.get(token) ?? ""] : undefined;
      if (!person) return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest", status: "401" });
      const path = url.pathname.slice(4);
      if (path === "/user") return send(200, { login: person.login, id: person.id, node_id: `U_${person.id}`, avatar_url: `https://avatars.githubusercontent.com/u/${person.id}?v=4`, type: "User", site_admin: false, name: person.name, company: null, email: null });
      if (path === "/user/emails") return send(200, person.emails);
      if (path === "/user/teams") {
        return send(
          200,
          person.teams.map((team, i) => ({ id: 1000 + i, node_id: `T_${i}`, name: team.slug, slug: team.slug, description: null, privacy: "closed", permission: "pull", organization: { login: team.org, id: 500 + i, node_id: `O_${i}`, description: null } })),
        );
      }
      return send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
    }
    return send(404, "Not Found", "text/plain");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, apiUrl: `${url}/api`, clientId, clientSecret, people, apiCalls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
