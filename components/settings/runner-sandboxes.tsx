/** How each live runner runs pull-request code, from its heartbeat (agents/engine/runner-heartbeat.ts). */
export interface RunnerSandbox {
  id: string;
  hostname: string;
  lastSeenAt: Date;
  sandbox: { mode: string; problem: string | null } | null;
}

export function RunnerSandboxes({ runners }: { runners: RunnerSandbox[] }) {
  if (runners.length === 0) {
    return (
      <p className="text-sm text-slate-600" data-testid="runner-sandboxes">
        No runner is running: nothing is tested until one starts (<code>npm start</code> starts one, <code>npm run runner</code> adds more).
      </p>
    );
  }
  return (
    <ul className="space-y-2 text-sm" data-testid="runner-sandboxes">
      {runners.map((runner) => {
        const { sandbox } = runner;
        const status =
          sandbox?.mode === "off"
            ? { tone: "border-red-300 bg-red-50 text-red-800", text: "runs pull-request code WITHOUT a sandbox (FLOWGATE_SANDBOX=off): as its own user, with its network and files. Every test decision says so." }
            : sandbox?.problem
              ? { tone: "border-red-300 bg-red-50 text-red-800", text: `cannot run pull-request code safely, so its test stages escalate: ${sandbox.problem}` }
              : sandbox
                ? { tone: "border-slate-200 bg-white text-slate-700", text: "tests pull requests in a bubblewrap sandbox: no network, none of Flowgate's files or secrets, its own user, hard limits." }
                : { tone: "border-amber-300 bg-amber-50 text-amber-800", text: "an older runner that does not report its sandbox: upgrade it." };
        return (
          <li key={runner.id} className={`rounded border px-3 py-2 ${status.tone}`}>
            <b>{runner.hostname}</b> <span className="text-xs opacity-70">({runner.id})</span>: {status.text}
          </li>
        );
      })}
    </ul>
  );
}
