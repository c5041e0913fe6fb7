import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { Readable, Writable } from "node:stream";

/**
 * Outbound network for an install command that a repository granted it (installNetwork: "egress"),
 * without the host's loopback: the sandbox keeps its own network namespace, and slirp4netns
 * (user-mode TCP/IP, run as the sandbox's user, with its seccomp filter) connects it to
 * the outside with --disable-host-loopback, so 127.0.0.1 on the host (PostgreSQL, the web server)
 * stays unreachable. See docs/decisions/013-pull-request-code-sandbox.md.
 *
 * bubblewrap is started with --info-fd 3 (it writes the sandbox's pid there) and --block-fd 4 (it
 * waits for a byte there before running the command), so the command never starts before its
 * network is up.
 */
export interface Egress {
  stop(): void;
}

export const SLIRP4NETNS = "/usr/bin/slirp4netns";

export function egressAvailable(): boolean {
  return fs.existsSync(SLIRP4NETNS);
}

export async function startEgress(child: ChildProcess, host: { uid: number; gid: number } | null): Promise<Egress | null> {
  const info = child.stdio[3] as Readable;
  const block = child.stdio[4] as Writable;
  const pid = await new Promise<number | null>((resolve) => {
    let text = "";
    info.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    info.on("close", () => resolve(null));
  });
  if (pid === null) return null;
  // bubblewrap reports the pid as soon as the child exists, a moment before it has written the
  // child's uid map; joining the namespaces before that fails with EPERM. So: wait for the map,
  // and try slirp4netns again, briefly, if it still could not join.
  await waitFor(() => fs.readFileSync(`/proc/${pid}/uid_map`, "utf8").trim() !== "", 2000);
  let slirp: ChildProcess | null = null;
  for (let attempt = 0; attempt < 5 && !slirp; attempt++) slirp = await startSlirp(pid, host);
  // Start the command, with or without a network: without one, its downloads fail and say so.
  block.write("1");
  return { stop: () => slirp?.kill("SIGKILL") };
}

/** slirp4netns attached to the sandbox's network namespace, once it reports ready; null if it exited first. */
async function startSlirp(pid: number, host: { uid: number; gid: number } | null): Promise<ChildProcess | null> {
  const argv = [
    ...(host ? ["/usr/bin/setpriv", `--reuid=${host.uid}`, `--regid=${host.gid}`, "--clear-groups", "--no-new-privs"] : []),
    SLIRP4NETNS,
    "--configure",
    "--mtu=65520",
    "--disable-host-loopback",
    "--enable-seccomp",
    "--ready-fd=3",
    `--userns-path=/proc/${pid}/ns/user`,
    String(pid),
    "tap0",
  ];
  const slirp = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "ignore", "pipe"], env: { PATH: "/usr/bin:/bin" } as unknown as NodeJS.ProcessEnv });
  const ready = await new Promise<boolean>((resolve) => {
    (slirp.stdio[3] as Readable).once("data", () => resolve(true));
    slirp.once("exit", () => resolve(false));
    slirp.once("error", () => resolve(false));
  });
  if (ready) return slirp;
  await new Promise((resolve) => setTimeout(resolve, 20));
  return null;
}

async function waitFor(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (condition()) return;
    } catch {
      // Not there yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
