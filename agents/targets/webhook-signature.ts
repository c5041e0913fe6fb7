import { createHmac } from "node:crypto";

/**
 * `X-Flowgate-Signature` for a JSON body: `sha256=` and the hex HMAC-SHA256 of the exact bytes
 * sent, the scheme of the notification webhooks (agents/notifications/deliver.ts), so one
 * receiver-side check serves both.
 */
export function flowgateSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
