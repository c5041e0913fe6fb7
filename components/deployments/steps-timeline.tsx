import type { DeploymentStepRow } from "@/lib/deployments/steps";
import { formatClock, formatNumber, formatSpan, label } from "./format";
import { VerdictBadge } from "./status-badge";

const kindLabel: Record<string, string> = {
  deploy: "Deploy",
  smoke_check: "Smoke check",
  set_weight: "Set weight",
  evaluation: "Evaluation",
  promote: "Promote",
  rollback: "Rollback",
  resume: "Resume",
  notification: "Notification",
};

/** Every step the agent took, in order, with its verdict and the weight it left. */
export function StepsTimeline({ steps, startedAt }: { steps: DeploymentStepRow[]; startedAt: string }) {
  if (steps.length === 0) return <p className="text-sm text-slate-600">No steps recorded yet.</p>;
  const start = Date.parse(startedAt);
  let weight: number | null = null;
  return (
    <ol className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white" data-testid="steps-timeline">
      {steps.map((step) => {
        const previous = weight;
        // eslint-disable-next-line react-hooks/immutability -- map runs during this render; no React Compiler memoizes it
        if (step.weight !== null) weight = step.weight;
        const weightChanged = step.weight !== null && step.weight !== previous;
        return (
          <li key={step.id} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 px-3 py-2 text-sm" data-testid="deployment-step" data-kind={step.kind}>
            <span className="w-32 shrink-0 tabular-nums text-slate-500" title={new Date(step.at).toISOString()}>
              {formatClock(step.at)} <span className="text-xs">+{formatSpan(Date.parse(step.at) - start)}</span>
            </span>
            <span className={`w-28 shrink-0 font-medium ${step.kind === "rollback" ? "text-red-700" : step.kind === "promote" ? "text-emerald-700" : ""}`}>
              {kindLabel[step.kind] ?? label(step.kind)}
            </span>
            {step.verdict && <VerdictBadge verdict={step.verdict} />}
            {weightChanged && <span className="rounded bg-violet-50 px-1.5 py-0.5 text-xs text-violet-800">→ {formatNumber(step.weight!)}% traffic</span>}
            <span className="min-w-0 flex-1 text-slate-700">{step.summary}</span>
          </li>
        );
      })}
    </ol>
  );
}
