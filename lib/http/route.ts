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

/** What `query:` gives the handler: the schema's output, or nothing when the route has no schema. */
type QueryOf<Q> = Q extends ZodType ? z.output<Q> : undefined;

/**
 * Wraps a route handler: resolves the session or API token, checks the permission from the one
 * role table, parses the query string when given a `query` schema (see parseQuery), and turns
 * anything thrown into the one error shape.
 *
 *   export const GET = route(async ({ actor, query }) => json(...), { permission: "runs:read", query: boardFilterSchema });
 */
export function route<Params = Record<string, string>, Q extends ZodType | undefined = undefined>(
  handler: (ctx: HandlerContext<Params> & { actor: Actor; query: QueryOf<Q> }) => Promise<Response>,
  options: { permission: Permission | "authenticated"; query?: Q },
) {
  return handle<Params>(async (ctx) => {
    const actor = await resolveActor(ctx.db, ctx.req);
    if (!actor) throw new ApiError("unauthenticated", "Sign in or send a valid API token (Authorization: Bearer ...)");
    if (actor.via === "session") assertSameOrigin(ctx.req, env().NEXTAUTH_URL);
    if (options.permission !== "authenticated" && !actorCan(actor, options.permission)) {
      throw new ApiError("forbidden", `This needs the ${options.permission} permission`);
    }
    const query = (options.query ? parseQuery(new URL(ctx.req.url).searchParams, options.query) : undefined) as QueryOf<Q>;
    return handler({ ...ctx, actor, query });
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

/**
 * Parses a query string with a schema: each parameter is one string (the first, if repeated), or
 * every value when the schema's field is an array. An empty parameter is an unset one (what a
 * cleared form field sends). Invalid values are a 422 naming the fields, as parseBody does.
 */
export function parseQuery<S extends ZodType>(params: URLSearchParams, schema: S): z.output<S> {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key).filter((value) => value !== "");
    if (values.length > 0) raw[key] = values[0];
  }
  const arrays = arrayFields(schema, raw);
  for (const key of Object.keys(raw)) if (arrays.has(key)) raw[key] = params.getAll(key).filter((value) => value !== "");
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ApiError("validation_failed", "The request has invalid fields", fieldErrors(result.error).map((f) => (f.path === "(body)" ? { ...f, path: "(query)" } : f)));
  }
  return result.data;
}

/** The fields an object schema (behind optional, default, refinements or a pipe) declares as arrays. */
function arrayFields(schema: ZodType, raw: Record<string, unknown>): Set<string> {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "object": {
      const shape = def.shape as Record<string, ZodType>;
      return new Set(Object.keys(shape).filter((key) => isArray(shape[key])));
    }
    case "pipe":
      return arrayFields(def.in as ZodType, raw);
    case "intersection":
      return new Set([...arrayFields(def.left as ZodType, raw), ...arrayFields(def.right as ZodType, raw)]);
    case "union": {
      // A discriminated union: the fields of the option the discriminator picks (all of them if none does).
      const options = def.options as ZodType[];
      const discriminator = def.discriminator as string | undefined;
      const chosen = discriminator ? options.filter((option) => optionAccepts(option, discriminator, raw[discriminator])) : [];
      return new Set((chosen.length > 0 ? chosen : options).flatMap((option) => [...arrayFields(option, raw)]));
    }
    default:
      return new Set();
  }
}

function optionAccepts(option: ZodType, key: string, value: unknown): boolean {
  const def = option._zod.def as unknown as { type: string; shape?: Record<string, ZodType> };
  const field = def.type === "object" ? def.shape?.[key] : undefined;
  return field ? field.safeParse(value).success : false;
}

function isArray(schema: ZodType): boolean {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "array":
      return true;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return isArray(def.innerType as ZodType);
    case "pipe":
      // z.preprocess(fn, z.array(...)) is a pipe from a transform into the array.
      return isArray(def.in as ZodType) || isArray(def.out as ZodType);
    default:
      return false;
  }
}

/** JSON response that also serializes BigInt (audit sequence numbers) as strings. */
export function json(body: unknown, init?: ResponseInit): Response {
  const text = JSON.stringify(body, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  return new Response(text, { ...init, headers: { "content-type": "application/json", ...(init?.headers ?? {}) } });
}
