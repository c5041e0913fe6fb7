import { receiveGitlabWebhook } from "@/lib/code-host/gitlab/receive-webhook";
import { publicRoute } from "@/lib/http/route";

// node:crypto and the raw body; nothing here may be cached or prerendered.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Public on purpose: GitLab has no session. Authenticity is the webhook's secret token
// (X-Gitlab-Token), compared in constant time (lib/code-host/gitlab/receive-webhook.ts has the answers).
export const POST = publicRoute(async ({ req, db, log }) => receiveGitlabWebhook(db, req, log));
