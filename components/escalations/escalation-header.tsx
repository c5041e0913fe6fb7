"use client";

import Link from "next/link";
import { absoluteTime, relativeTime } from "@/components/inbox/time";
import { riskTone, statusTone } from "@/components/ui/format";
import { CopyButtons } from "./copy-buttons";
import { approvalsSoFar, requiredApprovals, type EscalationDetail } from "./types";

const escalationTone: Record<string, string> = {
  open: "bg-amber-100 text-amber-800",
  approved: "bg-emerald-100 text-emerald-800",
  rejected: "bg-red-100 text-red-800",
  changes_requested: "bg-orange-100 text-orange-800",
  cancelled: "bg-slate-100 text-slate-600",
};

interface HeaderProps {
  escalation: EscalationDetail;
  now: number;
  assignedToMe: boolean;
  assigning: boolean;
  assignError: string | null;
  onAssign: (assignee: "me" | null) => void;
}

function Sla({ escalation, now }: { escalation: EscalationDetail; now: number }) {
  if (escalation.status !== "open") return null;
  const overdue = new Date(escalation.dueAt).getTime() < now;
  return (
    <span title={`Due ${absoluteTime(escalation.dueAt)}`} className="flex items-center gap-1">
      {overdue && <span className="rounded bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white">overdue</span>}
      <span className={overdue ? "text-red-700" : ""}>SLA due {relativeTime(escalation.dueAt, now)}</span>
    </span>
  );
}

/** Who, what and how urgent, with the few actions that do not need the whole package. */
export function EscalationHeader({ escalation, now, assignedToMe, assigning, assignError, onAssign }: HeaderProps) {
  const pr = escalation.run.pullRequest;
  const required = requiredApprovals(escalation);
  return (
    <div className="mb-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <Link href="/inbox" className="text-sm text-indigo-700 hover:underline">
          ← Inbox
        </Link>
        <CopyButtons escalation={escalation} />
      </div>
      <h1 className="mt-2 text-2xl font-semibold tracking-tight">
        <span className="text-slate-500">
          {pr.repository.name} #{pr.number}
        </span>{" "}
        {pr.title}
      </h1>
      <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-2 text-sm text-slate-600">
        <span>by {pr.author}</span>
        <span className={`rounded px-2 py-0.5 text-xs font-medium ${escalationTone[escalation.status] ?? ""}`} data-testid="escalation-status">
          {escalation.status.replaceAll("_", " ")}
        </span>
        <span className={`rounded px-2 py-0.5 text-xs font-medium ${riskTone(escalation.run.riskScore)}`}>risk {escalation.run.riskScore ?? "–"}</span>
        <span>{escalation.stage} stage</span>
        <Sla escalation={escalation} now={now} />
        <span>
          {approvalsSoFar(escalation)} of {required} approval{required === 1 ? "" : "s"}
          {required > 1 && <span className="text-slate-500"> (policy needs two for this reason)</span>}
        </span>
        <span className="flex items-center gap-2">
          {escalation.assignee ? <>assigned to {assignedToMe ? "you" : escalation.assignee.name}</> : <span className="text-slate-400">unassigned</span>}
          {escalation.status === "open" && (
            <button
              type="button"
              disabled={assigning}
              onClick={() => onAssign(assignedToMe ? null : "me")}
              className="rounded-md border border-slate-300 bg-white px-2 py-0.5 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
            >
              {assignedToMe ? "Unassign" : "Assign to me"}
            </button>
          )}
        </span>
        <Link href={`/runs/${escalation.runId}`} className="text-indigo-700 hover:underline">
          Run: <span className={`rounded px-1.5 py-0.5 text-xs ${statusTone[escalation.run.status] ?? ""}`}>{escalation.run.status.replaceAll("_", " ")}</span> →
        </Link>
      </div>
      {assignError && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          Could not change the assignee: {assignError}
        </p>
      )}
    </div>
  );
}
