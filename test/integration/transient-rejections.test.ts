import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database";

const root = path.resolve(import.meta.dirname, "..", "..");

function runFixture(url: string, args: string[]) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "test", "fixtures", "transaction-outlives-connection.ts"), ...args], {
      cwd: root,
      env: { ...process.env, TEST_DATABASE_URL: url },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("exit", (code) => resolve({ code, output }));
  });
}

/**
 * Found by the chaos soak (issue #19): a runner died of "DriverAdapterError: ConnectionClosed",
 * thrown by Prisma's transaction timer rolling back, unawaited, a transaction whose connection a
 * cut had closed. The runner now survives transient database errors nobody awaited.
 */
describe("a transaction that outlives its connection and its timeout", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("kills a process with Node's default handling (the defect)", async () => {
    const { code, output } = await runFixture(t.url, []);
    expect(code, output).not.toBe(0);
    expect(output).toContain("Client has encountered a connection error");
    expect(output).not.toContain("survived");
  });

  it("is survived by a process with the runner's handler", async () => {
    const { code, output } = await runFixture(t.url, ["--survive"]);
    expect(output, `exit ${code}`).toContain("survived");
    expect(code, output).toBe(0);
  });
});
