import { receiveGithubWebhook } from "@/lib/code-host/github/receive-webhook";
import { publicRoute } from "@/lib/http/route";

// The HMAC needs node:crypto and the raw body; nothing here may be cached or prerendered.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Public on purpose: GitHub has no session. Authenticity is the signature over the raw body,
// checked before anything is parsed (lib/code-host/github/receive-webhook.ts has the answers).
export const POST = publicRoute(async ({ req, db, log }) => receiveGithubWebhook(db, req, log));
