import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { StartupError } from "../../lib/startup-error";

/** A program Flowgate (or its tests) needs from the operating system, and the Debian package that has it. */
export interface SystemNeed {
  /** The path checked, unless `override` names an environment variable that points elsewhere. */
  binary: string;
  override?: string;
  debianPackage: string;
  why: string;
  aptOptions?: string[];
}

export const SANDBOX_NEEDS: SystemNeed[] = [
  { binary: "/usr/bin/bwrap", debianPackage: "bubblewrap", why: "pull-request code runs in a bubblewrap sandbox" },
  { binary: "/usr/bin/slirp4netns", debianPackage: "slirp4netns", why: "an install step granted egress gets it without the host's loopback" },
];

/**
 * Checks for what `npm start` / `npm test` need from the system. Missing, as root on a machine with
 * apt-get: installs it and says so (one `apt-get update` first). Otherwise stops with the one
 * command to run.
 */
export function ensureSystemPackages(needs: SystemNeed[], say: (line: string) => void) {
  // process.env on purpose: an override names a test harness's own variable (e.g. CHROMIUM_PATH), not Flowgate's configuration.
  const missing = needs.filter((need) => !(need.override && process.env[need.override]) && !fs.existsSync(need.binary));
  if (missing.length === 0) return;
  const packages = missing.map((need) => need.debianPackage);
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(" ")}`;
  const reasons = missing.map((need) => `  ${need.binary} (Debian package ${need.debianPackage}): ${need.why}`).join("\n");
  const canInstall = process.getuid?.() === 0 && fs.existsSync("/usr/bin/apt-get");
  if (!canInstall) throw new StartupError(`missing from this machine:\n${reasons}\ninstall with:\n  ${process.getuid?.() === 0 ? "" : "sudo "}${command}`);
  say(`installing ${packages.join(", ")} with apt-get (missing: ${missing.map((need) => need.binary).join(", ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }; // apt-get runs in this process's environment
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", ...packages]]) {
    const result = spawnSync("apt-get", args, { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    if (result.status !== 0) throw new StartupError(`apt-get ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim().split("\n").at(-1)}\ninstall by hand with:\n  ${command}`);
  }
  const still = missing.filter((need) => !fs.existsSync(need.binary));
  if (still.length > 0) throw new StartupError(`after apt-get, still missing: ${still.map((need) => need.binary).join(", ")}`);
  say(`installed ${packages.join(", ")}`);
}
