import { deploymentStatusTone, label, verdictTone } from "./format";

export function DeploymentStatusBadge({ status, live }: { status: string; live?: boolean }) {
  return (
    <span className={`inline-flex items-center gap-1 rounded px-2 py-0.5 text-xs font-medium ${deploymentStatusTone[status] ?? deploymentStatusTone.pending}`} data-testid="deployment-status">
      {live && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-current" aria-hidden />}
      {label(status)}
    </span>
  );
}

export function VerdictBadge({ verdict }: { verdict: string }) {
  return <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${verdictTone[verdict] ?? verdictTone.no_data}`}>{label(verdict)}</span>;
}
