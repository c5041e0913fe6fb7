import { randomUUID } from "node:crypto";
import type { ZodType, z } from "zod";
import { actorCan, resolveActor, type Actor } from "../auth/actor";
import type { Permission } from "../auth/roles";
import { db, type Db } from "../db/client";
import { log, type Logger } from "../log";
import { env } from "../env";
import { ApiError, errorResponse, fieldErrors, toApiError } from "./errors";
import { assertSameOrigin } from "./same-origin";

interface HandlerContext<Params> {
  req: Request;
  params: Params;
  db: Db;
  log: Logger;
  requestId: string;
}

type Segment<Params> = { params: Promise<Params> };

/** Runs a handler with a request id and a logger, turning anything thrown into the one error shape. */
function handle<Params>(run: (ctx: HandlerContext<Params>) => Promise<Response>) {
  return async (req: Request, segment: Segment<Params>): Promise<Response> => {
    const requestId = req.headers.get("x-request-id") ?? randomUUID();
    const requestLog = log.child({ requestId, method: req.method, path: new URL(req.url).pathname });
    const started = performance.now();
    // Successful reads are debug: the board polls every 1.5 s and would drown everything else.
    const finish = (response: Response) => {
      const quiet = req.method === "GET" && response.status < 400;
      requestLog[quiet ? "debug" : "info"]({ status: response.status, ms: Math.round(performance.now() - started) }, "request");
      return response;
    };
    try {
      const params = (await segment?.params) ?? ({} as Params);
      const response = await run({ req, params, db: db(), log: requestLog, requestId });
      response.headers.set("x-request-id", requestId);
      return finish(response);
    } catch (error) {
      const headers = { "x-request-id": requestId };
      const apiError = toApiError(error);
      if (apiError) return finish(errorResponse(apiError, headers));
      requestLog.error({ err: error }, "unhandled error in route handler");
      return finish(errorResponse(new ApiError("internal", `Internal error; quote request id ${requestId} when reporting it`), headers));
    }
  };
}

/**
 * Wraps a route handler: resolves the session or API token, checks the permission from the one
 * role table, and turns anything thrown into the one error shape.
 *
 *   export const GET = route(async ({ actor }) => json(...), { permission: "runs:read" });
 */
export function route<Params = Record<string, string>>(
  handler: (ctx: HandlerContext<Params> & { actor: Actor }) => Promise<Response>,
  options: { permission: Permission | "authenticated" },
) {
  return handle<Params>(async (ctx) => {
    const actor = await resolveActor(ctx.db, ctx.req);
    if (!actor) throw new ApiError("unauthenticated", "Sign in or send a valid API token (Authorization: Bearer ...)");
    if (actor.via === "session") assertSameOrigin(ctx.req, env().NEXTAUTH_URL);
    if (options.permission !== "authenticated" && !actorCan(actor, options.permission)) {
      throw new ApiError("forbidden", `This needs the ${options.permission} permission`);
    }
    return handler({ ...ctx, actor });
  });
}

/** A route anyone may call (health checks). Still gets the error shape and request id. */
export function publicRoute<Params = Record<string, string>>(handler: (ctx: HandlerContext<Params>) => Promise<Response>) {
  return handle<Params>(handler);
}

/** Parses and validates a JSON body; malformed JSON is a 400, invalid fields a 422 naming them. */
export async function parseBody<S extends ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new ApiError("bad_request", "The request body must be valid JSON");
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new ApiError("validation_failed", "The request has invalid fields", fieldErrors(result.error));
  return result.data;
}

/** JSON response that also serializes BigInt (audit sequence numbers) as strings. */
export function json(body: unknown, init?: ResponseInit): Response {
  const text = JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  return new Response(text, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) } });
}
