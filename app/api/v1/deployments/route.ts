import { deploymentListQuerySchema, listDeployments } from "@/lib/deployments/list-deployments";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Deployments, newest first: ?environment= ?status= (or live) ?repository= ?runId= ?before= ?limit=. */
export const GET = route(
  async ({ req, db }) => {
    // An empty parameter (a cleared filter in a form) means no filter.
    const params = Object.fromEntries([...new URL(req.url).searchParams].filter(([, value]) => value !== ""));
    return json(await listDeployments(db, deploymentListQuerySchema.parse(params)));
  },
  { permission: "deployments:read" },
);
