import { auditActor } from "@/lib/auth/actor";
import { env } from "@/lib/env";
import { json, parseBody, route } from "@/lib/http/route";
import { boardFilterSchema, loadBoard } from "@/lib/runs/board";
import { submitRun, submitRunSchema } from "@/lib/runs/submit-run";

export const dynamic = "force-dynamic";

/** The board: active runs and recent finished ones, filtered by ?repository=, ?status= and ?simulated=show. */
export const GET = route(
  async ({ db, query }) => json(await loadBoard(db, query)),
  { permission: "runs:read", query: boardFilterSchema },
);

/** Intake: 201 with a new run, 200 with the existing one for the same PR and head SHA. */
export const POST = route(
  async ({ req, db, actor }) => {
    const input = await parseBody(req, submitRunSchema);
    const result = await submitRun(db, { input, actor: auditActor(actor), maxDiffBytes: env().FLOWGATE_MAX_DIFF_BYTES });
    const url = new URL(`/runs/${result.run.id}`, env().NEXTAUTH_URL ?? req.url).toString();
    return json({ run: { ...result.run, url }, created: result.created, superseded: result.superseded }, { status: result.created ? 201 : 200 });
  },
  { permission: "runs:write" },
);
