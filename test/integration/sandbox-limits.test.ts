import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { egressAvailable } from "@/agents/sandbox/egress";
import { createSandbox, type SandboxLimits, type SandboxWorkspace } from "@/agents/sandbox/sandbox";
import { ensureWorkspaceRoot } from "@/agents/test/workspace";

const sandbox = createSandbox("bubblewrap");
const limits: SandboxLimits = { timeLimitMs: 30_000, memoryLimitMb: 256, diskLimitMb: 64, processLimit: 64 };

/** Real bubblewrap, real processes: each limit holds against code written to break it. */
describe("the sandbox's limits", () => {
  let root: string;
  let workspace: SandboxWorkspace;

  beforeAll(async () => {
    expect(await sandbox.problem()).toBeNull();
    root = ensureWorkspaceRoot(fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-sandbox-limits-")));
  });
  beforeEach(() => {
    const base = fs.mkdtempSync(path.join(root, "ws-"));
    workspace = { base, dir: path.join(base, "checkout"), home: path.join(base, "home"), tmp: path.join(base, "tmp") };
    for (const dir of [workspace.dir, workspace.home, workspace.tmp]) fs.mkdirSync(dir);
    sandbox.prepare(workspace);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const run = (command: string, overrides: Partial<SandboxLimits> = {}, network: "none" | "egress" = "none") =>
    sandbox.run(command, { workspace, network, limits: { ...limits, ...overrides } });
  const survivors = (marker: string) => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((line) => line.includes(marker));

  it("runs as an unprivileged user that is not the runner's, in its checkout, with nothing of Flowgate's environment", async () => {
    process.env.FLOWGATE_TEST_SECRET = "must-not-leak-into-the-sandbox";
    try {
      const result = await run("id -u; pwd; env; cat /proc/1/environ | tr '\\0' '\\n'");
      const [uid, cwd] = result.output.split("\n");
      expect(result.exitCode).toBe(0);
      expect(Number(uid)).not.toBe(0);
      expect(Number(uid)).not.toBe(process.getuid!());
      expect(cwd).toBe("/workspace");
      expect(result.output).not.toContain("must-not-leak");
      expect(result.output).not.toContain("DATABASE_URL");
    } finally {
      delete process.env.FLOWGATE_TEST_SECRET;
    }
  });

  it("stops a fork bomb at the process limit, and the command still ends", async () => {
    const result = await run("bomb() { bomb | bomb & }; bomb; sleep 1", { processLimit: 32 });
    expect(result.timedOut).toBe(false);
    expect(result.output).toMatch(/Cannot fork|Resource temporarily unavailable/i);
    // Nothing of it is left running: the bomb's shells went with the sandbox.
    expect(survivors("bomb").filter((line) => !line.includes("ps -eo"))).toEqual([]);
  });

  it("kills a command that allocates past the memory limit", async () => {
    const result = await run(`node -e "const keep = []; setInterval(() => keep.push(Buffer.alloc(20e6, 1)), 5)"`, { memoryLimitMb: 160 });
    expect(result.memoryExceeded).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.output).toMatch(/memory limit of 160 MB/);
  });

  it("stops a command that fills the disk past the cap", async () => {
    const result = await run("for i in 1 2 3 4 5 6 7 8; do head -c 20000000 /dev/urandom > fill-$i; done; sleep 5; echo finished", { diskLimitMb: 48 });
    expect(result.output).not.toContain("finished");
    expect(result.diskExceeded || /File size limit/.test(result.output)).toBe(true);
    expect(result.output).toMatch(/disk limit of 48 MB|File size limit exceeded/);
  });

  it("kills a command at the time limit, and a double-forked setsid daemon goes with it", async () => {
    const marker = `${9000 + (process.pid % 1000)}`;
    const result = await run(`setsid sh -c 'exec sleep ${marker}1' > /dev/null 2>&1 & (setsid sh -c 'exec sleep ${marker}2' &) ; sleep 600`, { timeLimitMs: 2_000 });
    expect(result.timedOut).toBe(true);
    expect(result.output).toContain("killed after the time limit of 2 s");
    expect(survivors(`sleep ${marker}`)).toEqual([]);
  });

  it("leaves no daemon behind when the command itself exits at once", async () => {
    const marker = `${8000 + (process.pid % 1000)}`;
    const result = await run(`setsid sh -c 'exec sleep ${marker}' > /dev/null 2>&1 & echo started`);
    expect(result.exitCode).toBe(0);
    expect(survivors(`sleep ${marker}`)).toEqual([]);
  });

  it("gives a test command no network at all: loopback services of the host are unreachable", async () => {
    const server = net.createServer((socket) => socket.end("host service\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const result = await run(`node -e "require('net').connect(${port}, '127.0.0.1').on('connect', () => console.log('REACHED')).on('error', (e) => console.log('blocked', e.code))"`);
      expect(result.output).toContain("blocked ECONNREFUSED");
    } finally {
      server.close();
    }
  });

  it.runIf(egressAvailable())("gives an install command with egress an outside network, but still not the host's loopback", async () => {
    const server = net.createServer((socket) => socket.end("host service\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const probe = (host: string) => `node -e "require('net').connect(${port}, '${host}').setTimeout(3000, function () { console.log('blocked ${host} timeout'); this.destroy(); }).on('connect', () => console.log('REACHED ${host}')).on('error', (e) => console.log('blocked ${host}', e.code))"`;
      const result = await run(`grep -o tap0 /proc/net/dev || echo no-tap; ${probe("127.0.0.1")}; ${probe("10.0.2.2")}`, {}, "egress");
      expect(result.output).toMatch(/^tap0$/m);
      expect(result.output).toContain("blocked 127.0.0.1");
      expect(result.output).toContain("blocked 10.0.2.2");
      expect(result.output).not.toContain("REACHED");
    } finally {
      server.close();
    }
  });
});
