import { describe, expect, it } from "vitest";
import { newId } from "@/lib/db/new-id";

describe("newId", () => {
  it("is shaped like Prisma's cuid(): c, 8 characters of time, 16 random, all base 36", () => {
    for (let i = 0; i < 1000; i++) expect(newId()).toMatch(/^c[0-9a-z]{24}$/);
  });

  it("starts with the time, so ids made later sort after earlier ones", () => {
    const before = Date.now();
    const id = newId();
    expect(parseInt(id.slice(1, 9), 36)).toBeGreaterThanOrEqual(before);
    expect(parseInt(id.slice(1, 9), 36)).toBeLessThanOrEqual(Date.now());
  });

  it("does not repeat (100,000 ids, many per millisecond), and uses the whole alphabet in the random part", () => {
    const ids = Array.from({ length: 100_000 }, newId);
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set(ids.flatMap((id) => [...id.slice(9)]));
    expect(seen.size).toBe(36);
  });
});
