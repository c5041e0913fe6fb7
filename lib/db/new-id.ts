import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 16;
// The largest multiple of 36 that fits in a byte: bytes at or above it are skipped, so every
// character is equally likely.
const UNBIASED_BELOW = 252;

/**
 * A new primary key shaped like the ids Prisma generates for `@default(cuid())`: 25 characters,
 * "c", the time in milliseconds in base 36 (8 characters, so ids sort roughly by creation and
 * B-tree inserts stay at the right edge), then 16 random base-36 characters (82 bits from the
 * system's CSPRNG: two ids made in the same millisecond collide with odds of about 1 in 10^24).
 *
 * For rows that raw SQL inserts, where Prisma's client-side default does not apply (see
 * docs/decisions/012-engine-writes-in-raw-sql.md).
 */
export function newId(): string {
  let id = `c${Date.now().toString(36).padStart(8, "0")}`;
  while (id.length < 1 + 8 + RANDOM_CHARS) {
    for (const byte of randomBytes(RANDOM_CHARS + 4)) {
      if (byte < UNBIASED_BELOW && id.length < 1 + 8 + RANDOM_CHARS) id += ALPHABET[byte % 36];
    }
  }
  return id;
}
