import type { StoredDecisionOutput } from "@/lib/review/review-output";

const groups = [
  ["security_issues", "Security"],
  ["api_breaking_changes", "API break"],
  ["performance_concerns", "Performance"],
  ["coverage_gaps", "Coverage gap"],
] as const;

const severityTone: Record<string, string> = {
  critical: "text-red-700",
  high: "text-red-600",
  medium: "text-amber-700",
  low: "text-slate-600",
};

/** The review's findings, read from an agent decision's stored output (any other shape shows nothing). */
export function FindingsList({ output }: { output: unknown }) {
  const review = (output as StoredDecisionOutput | null)?.review;
  if (!review) return null;
  const rows = groups.flatMap(([key, label]) => (review[key] ?? []).map((finding) => ({ ...finding, label })));
  if (rows.length === 0) return <p className="text-sm text-slate-600">No findings.</p>;
  return (
    <ul className="space-y-1 text-sm" data-testid="findings">
      {rows.map((f, i) => (
        <li key={i} className="flex flex-wrap gap-x-2">
          <span className={`font-medium ${severityTone[f.severity] ?? ""}`}>{f.severity}</span>
          <span className="text-slate-500">{f.label}</span>
          <span className="font-mono text-xs leading-5">
            {f.file}
            {f.line ? `:${f.line}` : ""}
          </span>
          <span>{f.message}</span>
        </li>
      ))}
    </ul>
  );
}
