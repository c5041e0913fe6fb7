import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCommand, scrubbedEnv } from "@/agents/sandbox/run-command";

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-run-command-"));
const env = scrubbedEnv(cwd);
const limits = { timeLimitMs: 30_000, memoryLimitMb: 1024 };

describe("running a repository's command", () => {
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it("captures output and the exit code", async () => {
    const result = await runCommand("echo out; echo err >&2; exit 3", { cwd, env, ...limits });
    expect(result).toMatchObject({ exitCode: 3, timedOut: false, memoryExceeded: false, truncatedBytes: 0 });
    expect(result.output).toContain("out");
    expect(result.output).toContain("err");
  });

  it("truncates output over the cap and says so, keeping the head and the tail", async () => {
    const result = await runCommand("echo FIRST; head -c 600000 /dev/zero | tr '\\0' x; echo; echo LAST", { cwd, env, ...limits, outputCapBytes: 64 * 1024 });
    expect(result.truncatedBytes).toBeGreaterThan(500_000);
    expect(result.output.length).toBeLessThan(70 * 1024);
    expect(result.output).toMatch(/^FIRST/);
    expect(result.output).toContain(`output truncated: ${result.truncatedBytes} bytes omitted`);
    expect(result.output.trimEnd()).toMatch(/LAST$/);
  });

  it("passes none of Flowgate's secrets to the command", async () => {
    process.env.ANTHROPIC_API_KEY = "sk-ant-must-not-leak";
    process.env.FLOWGATE_TEST_SECRET = "must-not-leak";
    try {
      const result = await runCommand("env", { cwd, env, ...limits });
      expect(result.output).not.toContain("must-not-leak");
      expect(result.output).not.toContain("DATABASE_URL");
      expect(result.output).toContain(`HOME=${cwd}`);
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.FLOWGATE_TEST_SECRET;
    }
  });

  it("kills a command that outgrows the memory limit", async () => {
    const hog = `node -e "const keep = []; setInterval(() => keep.push(Buffer.alloc(20e6, 1)), 20)"`;
    const result = await runCommand(hog, { cwd, env, timeLimitMs: 60_000, memoryLimitMb: 150 });
    expect(result.memoryExceeded).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.peakRssMb).toBeGreaterThan(150);
    expect(result.output).toContain("exceeding the memory limit of 150 MB");
  });
});
