/**
 * Like fetchJson, but keeps the status and the field errors apart: the decision form shows the
 * rationale's message next to the textarea and a 409's message (who decided) verbatim.
 */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly fields: { path: string; message: string }[],
  ) {
    super(message);
    this.name = "ApiRequestError";
  }

  fieldMessage(path: string): string | undefined {
    return this.fields.find((f) => f.path === path)?.message;
  }
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const parsed = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (parsed as { error?: { message?: string; fields?: { path: string; message: string }[] } } | null)?.error;
    throw new ApiRequestError(error?.message ?? `Request failed with status ${response.status}`, response.status, error?.fields ?? []);
  }
  return parsed as T;
}

/** "Assign to me", or release it (assignee null). */
export function assignEscalation(id: string, assignee: "me" | null) {
  return postJson<{ escalation: { id: string; assigneeId: string | null } }>(`/api/v1/escalations/${id}/assign`, { assignee });
}

export interface Me {
  user: { id: string; email: string; name: string; role: string };
  permissions: string[];
}
