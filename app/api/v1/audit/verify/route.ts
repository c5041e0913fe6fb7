import { verifyAuditChain } from "@/lib/audit/verify-audit-chain";
import { json, route } from "@/lib/http/route";

export const GET = route(async ({ db }) => json(await verifyAuditChain(db)), { permission: "audit:read" });
