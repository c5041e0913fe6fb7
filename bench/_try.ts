import fs from "node:fs"; import os from "node:os"; import path from "node:path";
import { createSandbox } from "../agents/sandbox/sandbox";
const sb = createSandbox("bubblewrap");
console.log("problem", await sb.problem());
const base = fs.mkdtempSync(path.join(os.tmpdir(), "fg-try-"));
const ws = { base, dir: path.join(base, "checkout"), home: path.join(base, "home"), tmp: path.join(base, "tmp") };
for (const d of [ws.dir, ws.home, ws.tmp]) fs.mkdirSync(d);
fs.writeFileSync(path.join(ws.dir, "a.txt"), "hello");
sb.prepare(ws);
const limits = { timeLimitMs: 10000, memoryLimitMb: 200, diskLimitMb: 50, processLimit: 50 };
for (const cmd of [process.argv[2] ?? "id; pwd; ls -la / /workspace; env; cat /proc/1/environ | tr '\\0' ' '; echo; node -e 'console.log(process.version)'"]) {
  const t = performance.now();
  const r = await sb.run(cmd, { workspace: ws, network: (process.argv[3] as any) ?? "none", limits });
  console.log(JSON.stringify({ ...r, output: undefined }), Math.round(performance.now() - t), "ms");
  console.log(r.output);
}
fs.rmSync(base, { recursive: true, force: true });
