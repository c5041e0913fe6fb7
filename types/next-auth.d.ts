import type { Role } from "@/lib/auth/roles";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string; role: Role };
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    role?: Role;
    /** When this session signed in (ms); kept across refreshes, unlike iat. */
    signedInAt?: number;
    /** The UserSession row this session is checked against (lib/auth/sessions.ts). */
    sessionId?: string;
  }
}
