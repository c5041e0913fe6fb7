import bcrypt from "bcryptjs";
import { envVar } from "../env";

// bcrypt (pure JS, no native build) with cost 12 in production; tests may lower it for speed.
// One variable, not env(): `npm run ctl -- user create` hashes without a session secret.

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, envVar("FLOWGATE_BCRYPT_COST"));
}

export function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  return bcrypt.compare(password, passwordHash);
}
