import { ApiError } from "@/lib/http/errors";
import { route } from "@/lib/http/route";
import { loadDiffText } from "@/lib/runs/run-diff";

export const dynamic = "force-dynamic";

/**
 * A run's diff as text, for the diff viewer: the only response that carries a diff, and only when
 * asked for by the run's id. Plain text, so the browser never parses megabytes of JSON for it.
 */
export const GET = route<{ id: string }>(
  async ({ db, params }) => {
    const text = await loadDiffText(db, params.id);
    if (text === null) throw new ApiError("not_found", `No run ${params.id}`);
    return new Response(text, { headers: { "content-type": "text/x-diff; charset=utf-8", "cache-control": "private, max-age=31536000, immutable" } });
  },
  { permission: "runs:read" },
);
