import Link from "next/link";
import { statusTone } from "@/components/ui/format";
import { relativeTime } from "@/components/inbox/time";
import { Section, card } from "./section";
import { decisionNames, type ContextPackageView, type DecisionKind, type HistoryRun, type SameFilesRun } from "./types";

/** What was not checked, stated plainly: a reviewer must know what nobody looked at. */
export function NotCheckedSection({ pkg }: { pkg: ContextPackageView }) {
  const items = pkg.notChecked ?? [];
  return (
    <Section id="not-checked" title="What was not checked">
      <div className={`${card} text-sm`} data-testid="not-checked">
        {items.length === 0 ? (
          <p className="text-slate-700">Everything in scope was checked.</p>
        ) : (
          <ul className="list-disc space-y-1 pl-5 text-amber-900">
            {items.map((item, i) => (
              <li key={i}>{item}</li>
            ))}
          </ul>
        )}
      </div>
    </Section>
  );
}

function RunLink({ run, now }: { run: HistoryRun; now: number }) {
  return (
    <>
      <Link href={`/runs/${run.runId}`} className="font-medium text-indigo-700 hover:underline">
        {run.pullRequest ? `#${run.pullRequest.number} ${run.pullRequest.title}` : run.runId}
      </Link>
      <span className={`rounded px-1.5 py-0.5 text-xs ${statusTone[run.status] ?? statusTone.queued}`}>{run.status.replaceAll("_", " ")}</span>
      {run.createdAt && <span className="text-xs text-slate-500">{relativeTime(run.createdAt, now)}</span>}
    </>
  );
}

function SameFilesItem({ run, now }: { run: SameFilesRun; now: number }) {
  return (
    <li className="space-y-1">
      <div className="flex flex-wrap items-center gap-2">
        <RunLink run={run} now={now} />
        {run.rolledBack && <span className="rounded bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white">rolled back</span>}
      </div>
      {run.files && run.files.length > 0 && <div className="font-mono text-xs text-slate-500">{run.files.join(", ")}</div>}
      {run.incidentSummary && <p className="text-sm text-red-800">Incident: {run.incidentSummary}</p>}
    </li>
  );
}

/** History: the author's recent runs and earlier runs on the same files, if the package has them. */
export function HistorySection({ pkg, now }: { pkg: ContextPackageView; now: number }) {
  const history = pkg.history;
  return (
    <Section id="history" title="History">
      <div className={`${card} text-sm`} data-testid="history">
        {!history ? (
          <p className="text-slate-600">No history recorded for this escalation.</p>
        ) : (
          <div className="grid gap-4 md:grid-cols-2">
            <div>
              <h3 className="mb-1 font-medium">Author&apos;s recent runs</h3>
              {(history.authorRecentRuns ?? []).length === 0 ? (
                <p className="text-slate-500">No other recent runs by {pkg.change.pullRequest.author}.</p>
              ) : (
                <ul className="space-y-1">
                  {history.authorRecentRuns!.map((run) => (
                    <li key={run.runId} className="flex flex-wrap items-center gap-2">
                      <RunLink run={run} now={now} />
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <div>
              <h3 className="mb-1 font-medium">Earlier runs on the same files</h3>
              {(history.sameFiles ?? []).length === 0 ? (
                <p className="text-slate-500">No earlier run touched these files.</p>
              ) : (
                <ul className="space-y-2">
                  {history.sameFiles!.map((run) => (
                    <SameFilesItem key={run.runId} run={run} now={now} />
                  ))}
                </ul>
              )}
            </div>
          </div>
        )}
      </div>
    </Section>
  );
}

/** The agent's suggestion, boxed apart and labelled so nobody mistakes it for the decision. */
export function SuggestionSection({ pkg }: { pkg: ContextPackageView }) {
  const suggestion = pkg.suggestion;
  if (!suggestion) return null;
  const name = decisionNames[suggestion.decision as DecisionKind] ?? suggestion.decision;
  return (
    <Section id="suggestion" title="Suggestion">
      <div className="rounded-lg border-2 border-dashed border-slate-300 bg-slate-50 p-4 text-sm" data-testid="suggestion">
        <p className="text-xs font-semibold uppercase tracking-wide text-slate-500">Agent&apos;s suggestion — not a decision</p>
        <p className="mt-1 text-slate-800">
          <b>{name}</b> · confidence {Math.round(suggestion.confidence * 100)}%
        </p>
        {suggestion.reasons.length > 0 && (
          <ul className="mt-2 list-disc space-y-0.5 pl-5 text-slate-700">
            {suggestion.reasons.map((reason, i) => (
              <li key={i}>{reason}</li>
            ))}
          </ul>
        )}
        <p className="mt-2 text-xs text-slate-500">Only a person decides; this is the agent&apos;s reading of the same package.</p>
      </div>
    </Section>
  );
}
