import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { processTreeRss, scrubbedEnv, superviseCommand, type CommandResult, type Meter } from "./run-command";
import { bubblewrapArgs, INSIDE, toolchainDirs } from "./bubblewrap-args";
import { cgroupParents, createCommandCgroup, type CommandCgroup } from "./cgroups";
import { startEgress, type Egress } from "./egress";

const exec = promisify(execFile);

/**
 * The one way Flowgate runs code a pull request controls: its install and test commands, its own
 * tests, the tests an LLM wrote for it. See docs/decisions/013-pull-request-code-sandbox.md.
 *
 * `bubblewrap` (the default) runs each command in new user, pid, ipc, uts, cgroup and network
 * namespaces as an unprivileged user, seeing only the toolchain, its checkout and a private HOME and
 * TMPDIR, with limits on time, memory, processes, disk and output. `off` is the explicit opt-out
 * for a single trusted developer (FLOWGATE_SANDBOX=off): commands then run as the runner's user,
 * and every decision says so.
 */
export type SandboxMode = "bubblewrap" | "off";

export interface SandboxLimits {
  timeLimitMs: number;
  memoryLimitMb: number;
  diskLimitMb: number;
  processLimit: number;
  outputCapBytes?: number;
}

/** The directories of one stage attempt's workspace on the host. */
export interface SandboxWorkspace {
  /** Holds checkout/, home/, tmp/ and etc/; nothing else. */
  base: string;
  dir: string;
  home: string;
  tmp: string;
}

/** Why untrusted code cannot run on this runner, and what fixes it. */
export interface SandboxProblem {
  reason: string;
  fix: string;
}

/** How a stage's commands were isolated: stored with the stage's output and its decision. */
export interface SandboxRecord {
  mode: SandboxMode;
  /** Empty when sandboxed; otherwise the warning every page shows. */
  warning: string | null;
  user: string;
  /** "host" only without a sandbox: the runner's own network, loopback services included. */
  network: { install: "none" | "egress" | "host"; test: "none" | "host" };
  limits: { timeSeconds: number; memoryMb: number; diskMb: number; processes: number };
  enforcement: { memory: string; processes: string; disk: string };
}

export const UNSANDBOXED_WARNING = "ran without a sandbox (FLOWGATE_SANDBOX=off): the pull request's code ran as the runner's own user, with its network and files";

const SANDBOX_USER = "flowgate-sandbox";
const DISK_SAMPLE_MS = 1000;
const MEMORY_SAMPLE_MS = 250;

export interface Sandbox {
  mode: SandboxMode;
  /** Null when commands can run here; checked once per runner and kept. */
  problem(): Promise<SandboxProblem | null>;
  /** Makes a fresh workspace usable by the sandbox's user (before any PR code runs in it). */
  prepare(workspace: SandboxWorkspace): void;
  /** Who files the runner adds to a prepared checkout should belong to (the sandbox's user), if not the runner. */
  fileOwner(): { uid: number; gid: number } | undefined;
  /** Where the code sees its checkout (the root its reports' absolute paths start with). */
  checkoutInside(workspace: SandboxWorkspace): string;
  run(command: string, options: { workspace: SandboxWorkspace; network: "none" | "egress"; limits: SandboxLimits }): Promise<CommandResult>;
  record(options: { installNetwork: "none" | "egress"; limits: SandboxLimits }): SandboxRecord;
}

/** The sandbox of a runner: FLOWGATE_SANDBOX (lib/env.ts) chooses the mode. */
export function createSandbox(mode: SandboxMode): Sandbox {
  return mode === "off" ? unsandboxed() : bubblewrap();
}

function unsandboxed(): Sandbox {
  return {
    mode: "off",
    problem: async () => null,
    prepare: () => undefined,
    fileOwner: () => undefined,
    checkoutInside: (workspace) => workspace.dir,
    run: (command, { workspace, limits }) =>
      superviseCommand({
        command,
        argv: ["/bin/sh", "-c", command],
        cwd: workspace.dir,
        env: scrubbedEnv(workspace.home, {}, workspace.tmp),
        timeLimitMs: limits.timeLimitMs,
        outputCapBytes: limits.outputCapBytes,
        meters: [{ what: "memory", limitBytes: limits.memoryLimitMb * 1024 * 1024, everyMs: MEMORY_SAMPLE_MS, measure: processTreeRss }],
      }),
    record: ({ limits }) => ({
      mode: "off",
      warning: UNSANDBOXED_WARNING,
      user: `the runner's own user (uid ${process.getuid?.() ?? "?"})`,
      network: { install: "host", test: "host" },
      limits: limitsRecord(limits),
      enforcement: { memory: "sampled", processes: "none", disk: "none" },
    }),
  };
}

interface Identity {
  /** The host uid/gid commands run as, when this runner may switch users (root). */
  host: { uid: number; gid: number } | null;
  /** The uid/gid the code sees inside its user namespace. */
  inside: { uid: number; gid: number };
}

function bubblewrap(): Sandbox {
  let checked: Promise<SandboxProblem | null> | undefined;
  let identity: Identity | undefined;
  const identityOf = (): Identity => {
    identity ??= process.getuid?.() === 0 ? rootIdentity() : { host: null, inside: { uid: 65534, gid: 65534 } };
    return identity;
  };
  const sandbox: Sandbox = {
    mode: "bubblewrap",
    problem: () => {
      checked ??= probe(identityOf);
      return checked;
    },
    prepare: (workspace) => {
      const { host, inside } = identityOf();
      const etc = path.join(workspace.base, "etc");
      fs.mkdirSync(etc, { recursive: true });
      fs.writeFileSync(path.join(etc, "passwd"), `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${inside.uid}:${inside.gid}:sandbox:${INSIDE.home}:/bin/sh\n`, { mode: 0o644 });
      fs.writeFileSync(path.join(etc, "group"), `root:x:0:\nsandbox:x:${inside.gid}:\n`, { mode: 0o644 });
      fs.writeFileSync(path.join(etc, "resolv.conf"), "nameserver 10.0.2.3\n", { mode: 0o644 });
      if (host) {
        // The writable parts belong to the sandbox's user. The workspace itself and etc/ stay the
        // runner's: the sandbox's user may pass through (bubblewrap binds from there as that user)
        // but not list or change them.
        for (const dir of [workspace.dir, workspace.home, workspace.tmp]) chownTree(dir, host.uid, host.gid);
        fs.chmodSync(workspace.base, 0o711);
      }
    },
    fileOwner: () => identityOf().host ?? undefined,
    checkoutInside: () => INSIDE.checkout,
    run: (command, options) => runInBubblewrap(command, options, identityOf()),
    record: ({ installNetwork, limits }) => {
      const { host } = identityOf();
      const cgroups = cgroupParents() !== null;
      return {
        mode: "bubblewrap",
        warning: null,
        user: host ? `${SANDBOX_USER} (uid ${host.uid}), not the runner's` : `uid 65534 in a user namespace of the runner's user (uid ${process.getuid?.()}); run the runner as root for a dedicated user`,
        network: { install: installNetwork, test: "none" },
        limits: limitsRecord(limits),
        enforcement: {
          memory: cgroups ? "cgroup (kernel)" : "sampled",
          processes: cgroups ? "cgroup (kernel)" : "rlimit",
          disk: "sampled, and a per-file rlimit",
        },
      };
    },
  };
  return sandbox;
}

const limitsRecord = (limits: SandboxLimits) => ({
  timeSeconds: Math.round(limits.timeLimitMs / 1000),
  memoryMb: limits.memoryLimitMb,
  diskMb: limits.diskLimitMb,
  processes: limits.processLimit,
});

/** As root: the dedicated system user, created on first use (like PostgreSQL's). */
function rootIdentity(): Identity {
  const id = (flag: string) => Number(execFileSync("id", [flag, SANDBOX_USER], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim());
  try {
    id("-u");
  } catch {
    execFileSync("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SANDBOX_USER]);
  }
  const host = { uid: id("-u"), gid: id("-g") };
  return { host, inside: host };
}

async function probe(identityOf: () => Identity): Promise<SandboxProblem | null> {
  const install = "install bubblewrap (Debian/Ubuntu: apt-get install -y bubblewrap), or set FLOWGATE_SANDBOX=off on a runner that only ever tests your own trusted code";
  if (process.platform !== "linux") return { reason: `pull-request code runs only in a Linux sandbox (bubblewrap); this runner is on ${process.platform}`, fix: "run the runner on Linux with bubblewrap installed" };
  if (!fs.existsSync("/usr/bin/bwrap")) return { reason: "bubblewrap (/usr/bin/bwrap) is not installed on this runner", fix: install };
  let identity: Identity;
  try {
    identity = identityOf();
  } catch (err) {
    return { reason: `the sandbox user ${SANDBOX_USER} could not be created: ${(err as Error).message.split("\n")[0]}`, fix: `create it: useradd --system --user-group --no-create-home ${SANDBOX_USER}` };
  }
  // A real sandbox, as a command would get it: the answer is whether it starts.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-sandbox-probe-"));
  const workspace = { base: scratch, dir: path.join(scratch, "checkout"), home: path.join(scratch, "home"), tmp: path.join(scratch, "tmp") };
  try {
    for (const dir of [workspace.dir, workspace.home, workspace.tmp]) fs.mkdirSync(dir);
    const sandbox = bubblewrap();
    sandbox.prepare(workspace);
    const result = await runInBubblewrap("id -u", { workspace, network: "none", limits: { timeLimitMs: 20_000, memoryLimitMb: 256, diskLimitMb: 16, processLimit: 16 } }, identity);
    if (result.exitCode === 0 && result.output.trim() === String(identity.inside.uid)) return null;
    const said = result.output.trim().split("\n").at(-1) ?? "";
    return {
      reason: `bubblewrap could not create a sandbox here (${said || `exit code ${result.exitCode ?? result.signal}`})`,
      fix: "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0), or run the runner as root",
    };
  } catch (err) {
    return { reason: `bubblewrap could not be started: ${(err as Error).message}`, fix: install };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function runInBubblewrap(
  command: string,
  options: { workspace: SandboxWorkspace; network: "none" | "egress"; limits: SandboxLimits },
  identity: Identity,
): Promise<CommandResult> {
  const { workspace, limits, network } = options;
  const cgroup = createCommandCgroup(path.basename(workspace.base) + "-" + process.pid + "-" + Date.now().toString(36), {
    memoryBytes: limits.memoryLimitMb * 1024 * 1024,
    pids: limits.processLimit,
  });
  let egress: Egress | null = null;
  const bwrap = bubblewrapArgs(
    {
      checkout: workspace.dir,
      home: workspace.home,
      tmp: workspace.tmp,
      passwd: path.join(workspace.base, "etc", "passwd"),
      group: path.join(workspace.base, "etc", "group"),
      resolvConf: network === "egress" ? path.join(workspace.base, "etc", "resolv.conf") : null,
      uid: identity.inside.uid,
      gid: identity.inside.gid,
      toolchain: toolchainDirs(),
      ...(network === "egress" ? { infoFd: 3, blockFd: 4 } : {}),
    },
    command,
  );
  const argv = [
    ...(cgroup ? joinCgroups(cgroup) : []),
    ...(identity.host ? ["/usr/bin/setpriv", `--reuid=${identity.host.uid}`, `--regid=${identity.host.gid}`, "--clear-groups", "--no-new-privs"] : []),
    "/usr/bin/prlimit",
    ...processRlimit(cgroup, identity, limits),
    `--fsize=${limits.diskLimitMb * 1024 * 1024}`,
    "--core=0",
    "--",
    "/usr/bin/bwrap",
    ...bwrap,
  ];
  const meters: Meter[] = [{ what: "disk", limitBytes: limits.diskLimitMb * 1024 * 1024, everyMs: DISK_SAMPLE_MS, measure: () => diskUsage(workspace) }];
  if (!cgroup) meters.push({ what: "memory", limitBytes: limits.memoryLimitMb * 1024 * 1024, everyMs: MEMORY_SAMPLE_MS, measure: processTreeRss });
  try {
    const result = await superviseCommand({
      command,
      argv,
      cwd: "/",
      // bubblewrap passes its environment to the command: only this, nothing of Flowgate's.
      env: scrubbedEnv(INSIDE.home, network === "egress" ? trustStoreEnv() : {}, INSIDE.tmp),
      timeLimitMs: limits.timeLimitMs,
      outputCapBytes: limits.outputCapBytes,
      meters,
      extraPipes: network === "egress" ? 2 : 0,
      onSpawn: network === "egress" ? (child) => void startEgress(child, identity.host).then((e) => (egress = e)) : undefined,
      killRest: () => cgroup?.killAll(),
    });
    if (!cgroup) return result;
    const oomKilled = cgroup.oomKills() > 0;
    return {
      ...result,
      memoryExceeded: result.memoryExceeded || oomKilled,
      peakRssMb: Math.round(cgroup.peakMemoryBytes() / (1024 * 1024)),
      output: oomKilled && !result.memoryExceeded ? `${result.output}\n[flowgate: a process was killed for exceeding the memory limit of ${limits.memoryLimitMb} MB]\n` : result.output,
    };
  } finally {
    (egress as Egress | null)?.stop();
    await cgroup?.remove();
  }
}

/**
 * Extra CA certificates the host trusts (a company's TLS-inspecting proxy), when their file is one
 * the sandbox can see: without them an install command's downloads would fail verification. Only
 * for commands with a network: Node parses the whole bundle at every start (about 60 ms here).
 */
function trustStoreEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"]) {
    // process.env, not env(): the host's own trust store, passed through, not Flowgate's configuration.
    const file = process.env[name];
    if (file && (file.startsWith("/etc/ssl/") || file.startsWith("/usr/"))) env[name] = file;
  }
  return env;
}

/** A shell that moves itself into the command's cgroups, then execs the rest (arguments, never interpolated). */
function joinCgroups(cgroup: CommandCgroup): string[] {
  return ["/bin/sh", "-c", 'for f; do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"', "join-cgroups", ...cgroup.procsFiles, "--"];
}

/**
 * RLIMIT_NPROC counts every thread of the real uid. With a cgroup the pids controller is the limit
 * and this is a backstop; without one, as the dedicated user it is the limit; as the runner's own
 * user it must leave room for the threads the runner's user already has (Node alone runs about ten).
 */
function processRlimit(cgroup: CommandCgroup | null, identity: Identity, limits: SandboxLimits): string[] {
  if (cgroup) return [];
  if (identity.host) return [`--nproc=${limits.processLimit}`];
  return [`--nproc=${threadsOfThisUser() + limits.processLimit}`];
}

function threadsOfThisUser(): number {
  let threads = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.statSync(`/proc/${entry}`).uid !== process.getuid?.()) continue;
      threads += fs.readdirSync(`/proc/${entry}/task`).length;
    } catch {
      // Gone meanwhile.
    }
  }
  return threads;
}

/** Bytes the command has written to its checkout, HOME and TMPDIR, by du (off the event loop). */
async function diskUsage(workspace: SandboxWorkspace): Promise<number> {
  const { stdout } = await exec("du", ["-s", "-k", "-x", "-c", workspace.dir, workspace.home, workspace.tmp]);
  const total = /^(\d+)\s+total$/m.exec(stdout);
  return total ? Number(total[1]) * 1024 : 0;
}

function chownTree(dir: string, uid: number, gid: number) {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid);
    else fs.lchownSync(full, uid, gid);
  }
}
