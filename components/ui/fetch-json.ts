interface ApiErrorBody {
  error: { code: string; message: string; fields?: { path: string; message: string }[] };
}

/** Fetches JSON from our API; an error response becomes an Error with the API's message and fields. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init?.headers } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (body as ApiErrorBody | null)?.error;
    const detail = error?.fields?.map((f) => `${f.path}: ${f.message}`).join("; ");
    throw new Error(error ? (detail ? `${error.message} (${detail})` : error.message) : `Request failed with status ${response.status}`);
  }
  return body as T;
}
