import bcrypt from "bcryptjs";

// bcrypt (pure JS, no native build) with cost 12 in production; tests may lower it for speed.
const cost = Number(process.env.FLOWGATE_BCRYPT_COST ?? 12);

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  return bcrypt.compare(password, passwordHash);
}
