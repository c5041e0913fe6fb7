import type { ErrorBody, ErrorCode, FieldError } from "@/lib/http/errors";

/**
 * An error response of our API: its status, its code and its field errors kept apart, so a form
 * can show a field's message next to the field (the decision form's rationale) and the rest as is.
 * The message is the API's, followed by the field errors when there are any.
 */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: ErrorCode | null,
    readonly fields: FieldError[],
  ) {
    super(message);
    this.name = "ApiRequestError";
  }

  fieldMessage(path: string): string | undefined {
    return this.fields.find((f) => f.path === path)?.message;
  }
}

/** The ApiRequestError of an error response whose body (the one error shape, or nothing) is given. */
function requestError(response: Response, body: unknown): ApiRequestError {
  const error = (body as Partial<ErrorBody> | null)?.error;
  const fields = error?.fields ?? [];
  const detail = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  const message = error?.message ? (detail ? `${error.message} (${detail})` : error.message) : `Request failed with status ${response.status}`;
  return new ApiRequestError(message, response.status, error?.code ?? null, fields);
}

/** Fetches JSON from our API; an error response (lib/http/errors.ts's one shape) becomes an ApiRequestError. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init?.headers } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw requestError(response, body);
  return body as T;
}

/** Fetches a text body (a run's diff); errors still come as the one JSON error shape. */
export async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw requestError(response, await response.json().catch(() => null));
  return response.text();
}

/** POSTs a JSON body. */
export function postJson<T>(url: string, body: unknown): Promise<T> {
  return fetchJson<T>(url, { method: "POST", body: JSON.stringify(body) });
}
