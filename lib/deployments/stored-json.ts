import type { ZodType, z } from "zod";

/**
 * A JSON column parsed with its schema. Agents of other versions write these columns, so a page
 * shows what it cannot read as unreadable (with the reasons) instead of failing as a whole.
 */
export type StoredJson<T> = { state: "absent" } | { state: "ok"; value: T } | { state: "unreadable"; problems: string[] };

const MAX_PROBLEMS = 5;

export function parseStoredJson<S extends ZodType>(schema: S, stored: unknown): StoredJson<z.infer<S>> {
  if (stored === null || stored === undefined) return { state: "absent" };
  const result = schema.safeParse(stored);
  if (result.success) return { state: "ok", value: result.data };
  const problems = result.error.issues.slice(0, MAX_PROBLEMS).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  if (result.error.issues.length > MAX_PROBLEMS) problems.push(`and ${result.error.issues.length - MAX_PROBLEMS} more`);
  return { state: "unreadable", problems };
}
