import { loadChangeRecord } from "@/lib/audit/reports/change-record";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The change record of one run: the evidence for each step, with the audit events behind it. */
export const GET = route<{ runId: string }>(
  async ({ db, params }) => {
    const record = await loadChangeRecord(db, params.runId);
    if (!record) throw new ApiError("not_found", `No run ${params.runId}`);
    return json({ record });
  },
  { permission: "audit:read" },
);
