import { describeActor } from "@/lib/auth/me";
import { json, route } from "@/lib/http/route";

export const GET = route(async ({ actor }) => json(describeActor(actor)), { permission: "authenticated" });
