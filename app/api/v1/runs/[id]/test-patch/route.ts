import { ApiError } from "@/lib/http/errors";
import { route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** The tests the test agent generated and kept for a run, as a patch to `git apply`. */
export const GET = route<{ id: string }>(
  async ({ db, params }) => {
    const attempt = await db.stageRun.findFirst({
      where: { runId: params.id, stage: "test", finishedAt: { not: null } },
      orderBy: { attempt: "desc" },
      select: { output: true, run: { select: { pullRequest: { select: { number: true } } } } },
    });
    const patch = (attempt?.output as { generation?: { patch?: string | null } } | null)?.generation?.patch;
    if (!attempt || !patch) throw new ApiError("not_found", `Run ${params.id} has no generated tests that were kept`);
    return new Response(patch, {
      headers: {
        "content-type": "text/x-diff; charset=utf-8",
        "content-disposition": `attachment; filename="pr-${attempt.run.pullRequest.number}-generated-tests.patch"`,
      },
    });
  },
  { permission: "runs:read" },
);
