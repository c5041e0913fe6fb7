import { checkHealth } from "@/lib/health";
import { json, publicRoute } from "@/lib/http/route";

export const dynamic = "force-dynamic";

// Public on purpose: load balancers and `npm start` poll it. It reveals no data, only state.
export const GET = publicRoute(async ({ db }) => {
  const report = await checkHealth(db);
  return json(report, { status: report.status === "down" ? 503 : 200 });
});
