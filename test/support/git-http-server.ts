/**
 * A real smart-HTTP git server on 127.0.0.1 for tests: node:http in front of `git http-backend`
 * (run as a CGI program, as Apache or nginx would), with GitHub's way of authenticating a fetch:
 * `Authorization: Basic base64("x-access-token:<token>")`, 401 with a Basic challenge otherwise.
 * Every request is recorded (method, path, which token, when) for assertions.
 */
import { execFileSync, spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface GitHttpRequest {
  method: string;
  path: string;
  query: string;
  /** The token the request authenticated with, or null (none or a wrong one). */
  token: string | null;
  /** The raw Authorization header, as sent. */
  authorization: string | undefined;
  /** Content-Encoding of the request body (git gzips negotiation requests over 1 KiB). */
  contentEncoding: string | undefined;
  /** Bytes of request body received (before any decoding). */
  bodyBytes: number;
  status: number;
  startedAt: number;
  finishedAt: number;
}

export interface GitHttpServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The URL of a repository under the project root, e.g. repositoryUrl("octo/app") → …/octo/app.git */
  repositoryUrl(fullName: string): string;
  requests: GitHttpRequest[];
  /** The tokens accepted; change it to revoke or add one. */
  tokens: Set<string>;
  close(): Promise<void>;
}

export interface GitHttpServerOptions {
  /** The directory holding the bare repositories (`<owner>/<name>.git`). */
  projectRoot: string;
  tokens: string[];
  /** Waits this long before answering each request (to make concurrent fetches overlap measurably). */
  delayMs?: number;
  /** Also accepts a token this says is valid (tokens issued elsewhere, as GitHub's installation tokens are). */
  accepts?: (token: string) => boolean;
}

/** `Authorization` for a token, as Flowgate's GitHub client builds it. */
export const basicAuthorization = (token: string) => `Basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;

let backendPath: string | undefined;
function httpBackend(): string {
  backendPath ??= path.join(execFileSync("git", ["--exec-path"], { encoding: "utf8" }).trim(), "git-http-backend");
  return backendPath;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const tokens = new Set(options.tokens);
  const requests: GitHttpRequest[] = [];
  const server = http.createServer((req, res) => {
    const startedAt = Date.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const authorization = req.headers.authorization;
    const token = [...tokens].find((candidate) => authorization === basicAuthorization(candidate)) ?? issuedToken(authorization, options.accepts);
    let bodyBytes = 0;
    const contentEncoding = req.headers["content-encoding"];
    const record = (status: number) =>
      requests.push({ method: req.method ?? "GET", path: url.pathname, query: url.search.slice(1), token, authorization, contentEncoding, bodyBytes, status, startedAt, finishedAt: Date.now() });
    const answer = () => {
      // Counted from here, in the tick the body is piped on: a listener any earlier would start
      // the stream flowing and lose what arrives during the delay.
      req.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
      if (token === null) {
        req.resume();
        res.writeHead(401, { "www-authenticate": 'Basic realm="flowgate-test"', "content-type": "text/plain" });
        res.end("Bad credentials\n");
        record(401);
        return;
      }
      serveWithBackend(req, res, url, options.projectRoot, record);
    };
    if (options.delayMs) setTimeout(answer, options.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    repositoryUrl: (fullName) => `${base}/${fullName}.git`,
    requests,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The token of a Basic `x-access-token:<token>` (GitHub) or `oauth2:<token>` (GitLab) header, when `accepts` knows it. */
function issuedToken(authorization: string | undefined, accepts: ((token: string) => boolean) | undefined): string | null {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization ?? "")?.[1];
  if (!encoded || !accepts) return null;
  const [user, token] = Buffer.from(encoded, "base64").toString("utf8").split(":", 2);
  return (user === "x-access-token" || user === "oauth2") && token && accepts(token) ? token : null;
}

/** One request through `git http-backend` (CGI/1.1: the request in the environment and stdin, headers then body on stdout). */
function serveWithBackend(req: http.IncomingMessage, res: http.ServerResponse, url: URL, projectRoot: string, record: (status: number) => void) {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH, // test harness: http-backend runs git upload-pack from PATH
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_HTTP_MAX_REQUEST_BUFFER: String(100 * 1024 * 1024),
    GATEWAY_INTERFACE: "CGI/1.1",
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REMOTE_USER: "x-access-token",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
  };
  if (req.headers["content-type"]) env.CONTENT_TYPE = req.headers["content-type"];
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  // git gzips large requests; http-backend inflates them when told the encoding.
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  // Protocol v2 is asked for in this header; http-backend passes it on to upload-pack.
  if (req.headers["git-protocol"]) env.HTTP_GIT_PROTOCOL = String(req.headers["git-protocol"]);

  const child = spawn(httpBackend(), [], { env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => {}); // the backend may stop reading early (an error answer)
  let head = Buffer.alloc(0);
  let headersSent = false;
  let status = 200;
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const crlf = head.indexOf("\r\n\r\n");
    const lf = head.indexOf("\n\n");
    const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, length: 4 } : lf >= 0 ? { at: lf, length: 2 } : null;
    if (!end) return;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end.at).toString("latin1").split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 500;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    const rest = head.subarray(end.at + end.length);
    if (rest.length > 0) res.write(rest);
  });
  child.on("close", (code) => {
    if (!headersSent) {
      status = 500;
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`git http-backend failed (${code}): ${stderr}`);
    } else {
      res.end();
    }
    record(status);
  });
}

/** A server that accepts connections and never answers: for timeouts. */
export async function startSilentServer(): Promise<{ url: string; connections: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
