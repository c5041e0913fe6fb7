import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountPolicy, clearFailures, heldUntil, recordFailure } from "@/lib/auth/sign-in-throttle";
import { createTestDatabase, type TestDatabase } from "../support/database";

/** The throttle's arithmetic on a real PostgreSQL, with the clock passed in. */
describe("the sign-in throttle", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 6, 9, 0, 0) + seconds * 1000);

  it("grows the hold with each failure past the free ones, locks at the limit, and the lock expires", async () => {
    const key = "account:guess@example.com";
    const holds: number[] = [];
    for (let i = 0; i < 10; i++) {
      const result = await recordFailure(t.db, key, accountPolicy, at(i));
      holds.push(result.lockedUntil ? Math.round((result.lockedUntil.getTime() - at(i).getTime()) / 1000) : 0);
    }
    expect(holds).toEqual([0, 0, 0, 1, 2, 4, 8, 16, 32, accountPolicy.lockSeconds]);
    expect(await heldUntil(t.db, [key], at(10))).toEqual(at(9 + accountPolicy.lockSeconds));
    expect(await heldUntil(t.db, [key], at(10 + accountPolicy.lockSeconds))).toBeNull();
    // A failure after the window starts the count over.
    const later = await recordFailure(t.db, key, accountPolicy, at(20 + accountPolicy.windowSeconds));
    expect(later).toMatchObject({ failures: 1, locked: false, lockedUntil: null });
  });

  it("counts concurrent failures from several web servers once each", async () => {
    const key = "account:race@example.com";
    await Promise.all(Array.from({ length: 20 }, (_, i) => recordFailure(t.db, key, accountPolicy, at(i / 100))));
    const [row] = await t.sql<{ failures: number }>(`SELECT failures FROM "SignInThrottle" WHERE key = $1`, [key]);
    expect(row.failures).toBe(20);
    await clearFailures(t.db, key);
    expect(await heldUntil(t.db, [key], at(1))).toBeNull();
  });
});
