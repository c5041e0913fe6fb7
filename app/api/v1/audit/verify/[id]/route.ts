import { getFullVerification } from "@/lib/audit/verify/run-full-verification";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** One full verification: its progress while it runs, its verdict once it has finished. */
export const GET = route<{ id: string }>(
  async ({ db, params }) => {
    const verification = await getFullVerification(db, params.id);
    if (!verification) throw new ApiError("not_found", `No verification ${params.id}`);
    return json({ verification });
  },
  { permission: "audit:read" },
);
