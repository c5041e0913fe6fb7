import fs from "node:fs";
import path from "node:path";

/** Where the sandboxed code sees its workspace; fixed, so reports name the same paths on every runner. */
export const INSIDE = { checkout: "/workspace", home: "/home/sandbox", tmp: "/tmp" } as const;

export interface BubblewrapView {
  /** Host directories bound read-write at INSIDE.checkout, INSIDE.home and INSIDE.tmp. */
  checkout: string;
  home: string;
  tmp: string;
  /** Host files bound read-only at /etc/passwd and /etc/group (they name the sandbox user). */
  passwd: string;
  group: string;
  /** A resolv.conf naming the user-mode network's DNS, when the command has egress. */
  resolvConf: string | null;
  /** The uid/gid the code sees inside its user namespace. */
  uid: number;
  gid: number;
  /** Extra read-only toolchain directories (a Node.js installed outside /usr). */
  toolchain: string[];
  /**
   * fds for bubblewrap's --info-fd and --block-fd, when the command gets egress: the network
   * namespace always has only its own loopback, and egress.ts attaches user-mode networking to it.
   */
  infoFd?: number;
  blockFd?: number;
}

// The minimal /etc: certificates for TLS, name resolution, the dynamic linker's cache, timezones.
const ETC_READ_ONLY = ["/etc/ssl", "/etc/ca-certificates", "/etc/pki", "/etc/nsswitch.conf", "/etc/hosts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives", "/etc/mime.types"];

const DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"];

/**
 * The bubblewrap command line: new user, pid, ipc, uts, cgroup and network namespaces; the toolchain
 * read-only; the checkout, a private HOME and TMPDIR read-write; its own /proc and a minimal /dev;
 * nothing else of the host (no data directory, no Flowgate source, no /root, no host /proc).
 */
export function bubblewrapArgs(view: BubblewrapView, command: string): string[] {
  const args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--uid", String(view.uid), "--gid", String(view.gid), "--hostname", "sandbox"];
  if (view.infoFd !== undefined) args.push("--info-fd", String(view.infoFd));
  if (view.blockFd !== undefined) args.push("--block-fd", String(view.blockFd));
  args.push("--ro-bind", "/usr", "/usr");
  // Merged-/usr systems link /bin, /lib, /lib64, /sbin into /usr; older ones have real directories.
  for (const top of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const stat = lstat(top);
    if (!stat) continue;
    if (stat.isSymbolicLink()) args.push("--symlink", fs.readlinkSync(top), top);
    else args.push("--ro-bind", top, top);
  }
  for (const dir of view.toolchain) args.push("--ro-bind", dir, dir);
  for (const entry of ETC_READ_ONLY) args.push("--ro-bind-try", entry, entry);
  args.push("--ro-bind", view.passwd, "/etc/passwd", "--ro-bind", view.group, "/etc/group");
  if (view.resolvConf) args.push("--ro-bind", view.resolvConf, "/etc/resolv.conf");
  // A minimal /dev of device nodes bound from the host. Not bubblewrap's --dev: that mounts a devpts,
  // for which bubblewrap must map root first and then nest a second user namespace, and the
  // network namespace would belong to the first, which slirp4netns (egress) can then no longer join.
  args.push("--proc", "/proc", "--tmpfs", "/dev");
  for (const device of DEVICES) args.push("--dev-bind", device, device);
  args.push("--tmpfs", "/dev/shm", "--symlink", "/proc/self/fd", "/dev/fd", "--symlink", "/proc/self/fd/0", "/dev/stdin", "--symlink", "/proc/self/fd/1", "/dev/stdout", "--symlink", "/proc/self/fd/2", "/dev/stderr");
  args.push("--bind", view.tmp, INSIDE.tmp, "--bind", view.home, INSIDE.home, "--bind", view.checkout, INSIDE.checkout);
  // The root itself (bubblewrap's tmpfs) read-only: the code writes only where it was given room.
  args.push("--remount-ro", "/", "--chdir", INSIDE.checkout, "--", "/bin/sh", "-c", command);
  return args;
}

/** The toolchain directories outside /usr the sandbox needs: this Node.js's installation prefix. */
export function toolchainDirs(execPath = process.execPath): string[] {
  const prefix = path.dirname(path.dirname(fs.realpathSync(execPath)));
  return prefix === "/usr" || prefix.startsWith("/usr/") ? [] : [prefix];
}

function lstat(file: string): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch {
    return null;
  }
}
