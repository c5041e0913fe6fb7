import { deploymentListQuerySchema, listDeployments } from "@/lib/deployments/list-deployments";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/** Deployments, newest first: ?environment= ?status= (or live) ?repository= ?runId= ?before= ?limit=. */
export const GET = route(
  // An empty parameter (a cleared filter in a form) means no filter: route() drops it.
  async ({ db, query }) => json(await listDeployments(db, query)),
  { permission: "deployments:read", query: deploymentListQuerySchema },
);
