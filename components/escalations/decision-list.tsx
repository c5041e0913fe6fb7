import { decisionNames, type RecordedDecision } from "./types";

const decisionTone: Record<string, string> = {
  approve: "bg-emerald-100 text-emerald-800",
  reject: "bg-red-100 text-red-800",
  request_changes: "bg-amber-100 text-amber-800",
};

/** The decisions recorded so far: who, when, what and why. */
export function DecisionList({ decisions }: { decisions: RecordedDecision[] }) {
  return (
    <div>
      <h3 className="mb-1 text-sm font-medium">Recorded decisions</h3>
      <ul className="space-y-2" data-testid="recorded-decisions">
        {decisions.map((d) => (
          <li key={d.id} className="rounded-md border border-slate-200 p-2 text-sm">
            <div className="flex flex-wrap items-center gap-2">
              <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${decisionTone[d.decision] ?? ""}`}>{decisionNames[d.decision] ?? d.decision}</span>
              <span className="font-medium">{d.user.name}</span>
              <span className="text-xs text-slate-500">{d.user.email}</span>
            </div>
            <div className="mt-0.5 text-xs text-slate-500">{new Date(d.createdAt).toLocaleString()}</div>
            <p className="mt-1 whitespace-pre-wrap text-slate-800">{d.rationale}</p>
          </li>
        ))}
      </ul>
    </div>
  );
}
