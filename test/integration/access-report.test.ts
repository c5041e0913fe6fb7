import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessEvents, roleHoldersAt, toCsv } from "@/lib/access/access-report";
import { createUser } from "@/lib/users/create-user";
import { updateUser } from "@/lib/users/update-user";
import { createTestDatabase, type TestDatabase } from "../support/database";

const admin = { type: "user", id: "admin-1", label: "admin@example.com" } as const;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** "Who could approve deployments on 1 November?" answered from the audit log, at any moment. */
describe("access evidence from the audit log", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("replays each person's role up to a moment: created, changed, disabled, enabled", async () => {
    const before = new Date();
    await tick();
    const ana = await createUser(t.db, { input: { email: "ana@example.com", role: "manager", password: "a-long-password" }, actor: admin });
    const bo = await createUser(t.db, { input: { email: "bo@example.com", role: "reviewer", password: "a-long-password" }, actor: admin });
    await tick();
    const created = new Date();
    await tick();
    await updateUser(t.db, { userId: ana.id, input: { role: "reviewer" }, actor: admin });
    await updateUser(t.db, { userId: bo.id, input: { disabled: true }, actor: admin });
    await tick();
    const changed = new Date();
    await tick();
    await updateUser(t.db, { userId: bo.id, input: { disabled: false, role: "auditor" }, actor: admin });

    expect(await roleHoldersAt(t.db, before)).toEqual([]);
    const summary = async (at: Date) => (await roleHoldersAt(t.db, at)).map((h) => [h.email, h.role, h.disabled, h.canApprove]);
    expect(await summary(created)).toEqual([
      ["ana@example.com", "manager", false, false],
      ["bo@example.com", "reviewer", false, true],
    ]);
    expect(await summary(changed)).toEqual([
      ["ana@example.com", "reviewer", false, true],
      ["bo@example.com", "reviewer", true, true],
    ]);
    expect(await summary(new Date())).toEqual([
      ["ana@example.com", "reviewer", false, true],
      ["bo@example.com", "auditor", false, false],
    ]);

    const events = await accessEvents(t.db, { from: before, to: new Date(), limit: 100 });
    expect(events.map((e) => e.action)).toEqual(["user.enabled", "user.role_changed", "user.disabled", "user.role_changed", "user.created", "user.created"]);
    expect(events.find((e) => e.action === "user.role_changed" && e.email === "ana@example.com")?.detail).toBe("from=manager to=reviewer");
  });

  it("writes CSV that a spreadsheet cannot mistake for formulas", () => {
    const csv = toCsv([{ email: "=HYPERLINK(\"http://evil\")", note: "a,b" }], ["email", "note"]);
    expect(csv).toBe(`email,note\n"'=HYPERLINK(""http://evil"")","a,b"\n`);
  });
});
