"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RunDiffViewer } from "@/components/escalations/run-diff-viewer";
import { fetchJson } from "@/components/ui/api";
import { riskTone, statusTone } from "@/components/ui/format";
import type { ReviewFindingGroup, StoredReviewOutput } from "@/lib/review/review-output";
import type { RunDetailResponse } from "@/lib/runs/run-detail";
import { coverageGapFindings, isTestStageOutput, TestStageView } from "./test-stage";

type RunDecision = RunDetailResponse["run"]["decisions"][number];

const findingGroups: [ReviewFindingGroup, string][] = [
  ["security_issues", "Security"],
  ["api_breaking_changes", "API breaks"],
  ["performance_concerns", "Performance"],
  ["coverage_gaps", "Coverage gaps"],
];

const severityTone: Record<string, string> = {
  critical: "text-red-700",
  high: "text-red-600",
  medium: "text-amber-700",
  low: "text-slate-600",
};

function Findings({ review }: { review: StoredReviewOutput }) {
  const rows = findingGroups.flatMap(([key, label]) => (review[key] ?? []).map((f) => ({ ...f, group: label })));
  if (rows.length === 0) return <p className="text-sm text-slate-600">No findings.</p>;
  return (
    <table className="min-w-full text-sm">
      <thead className="text-left text-xs uppercase text-slate-500">
        <tr>
          <th className="py-1 pr-3">Kind</th>
          <th className="py-1 pr-3">Where</th>
          <th className="py-1 pr-3">Severity</th>
          <th className="py-1">Finding</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((f, i) => (
          <tr key={i} className="border-t border-slate-100 align-top">
            <td className="py-1 pr-3 text-slate-600">{f.group}</td>
            <td className="py-1 pr-3 font-mono text-xs">
              {f.file}
              {f.line ? `:${f.line}` : ""}
            </td>
            <td className={`py-1 pr-3 font-medium ${severityTone[f.severity] ?? ""}`}>{f.severity}</td>
            <td className="py-1">{f.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DecisionCard({ decision }: { decision: RunDecision }) {
  const review = decision.output.review;
  const unreviewed = decision.output.rules?.unreviewedFiles ?? [];
  return (
    <div className="mt-3 space-y-3 rounded-md border border-slate-200 bg-slate-50 p-3">
      <div className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
        <span>
          {decision.agent} agent {decision.agentVersion}
        </span>
        <span>
          provider <b>{decision.provider}</b>
          {decision.model ? ` · ${decision.model}` : ""}
        </span>
        {decision.inputTokens !== null && (
          <span>
            tokens {decision.inputTokens} in / {decision.outputTokens} out
          </span>
        )}
        {decision.latencyMs !== null && <span>latency {decision.latencyMs} ms</span>}
        <span className="font-mono" title="SHA-256 of the agent's input">
          input {decision.inputHash.slice(0, 12)}
        </span>
      </div>
      <p className="whitespace-pre-wrap text-sm text-slate-800">{decision.rationale}</p>
      {review && <Findings review={review} />}
      {unreviewed.length > 0 && (
        <p className="text-sm text-amber-800">Not reviewed: {unreviewed.map((u) => `${u.file} (${u.reason})`).join(", ")}</p>
      )}
    </div>
  );
}

/** The deployment a staging or deployment attempt made, when it made one. */
function deploymentOf(output: unknown): string | null {
  const id = (output as { deploymentId?: unknown } | null)?.deploymentId;
  return typeof id === "string" ? id : null;
}

/** One run: its stage attempts with their decisions, escalations and audit events; live. */
export function RunDetail({ runId }: { runId: string }) {
  const query = useQuery({
    queryKey: ["run", runId],
    queryFn: () => fetchJson<RunDetailResponse>(`/api/v1/runs/${runId}`),
    refetchInterval: 2000,
  });
  if (query.isLoading) return <p className="text-sm text-slate-500">Loading run…</p>;
  if (query.isError) return <p className="text-sm text-red-700">Could not load this run: {query.error.message}</p>;
  const { run, auditEvents } = query.data!;
  const pr = run.pullRequest;
  const testOutput = run.stageRuns.findLast((s) => s.stage === "test" && isTestStageOutput(s.output))?.output;
  return (
    <div className="space-y-6">
      <div>
        <Link href="/board" className="text-sm text-indigo-700 hover:underline">
          ← Board
        </Link>
        <h1 className="mt-2 text-2xl font-semibold tracking-tight">
          {pr.repository.name} #{pr.number}: {pr.title}
        </h1>
        <div className="mt-2 flex flex-wrap items-center gap-2 text-sm text-slate-600">
          <span className={`rounded px-2 py-0.5 text-xs font-medium ${statusTone[run.status] ?? ""}`} data-testid="run-status">
            {run.status.replace("_", " ")}
          </span>
          <span className={`rounded px-2 py-0.5 text-xs font-medium ${riskTone(run.riskScore)}`}>risk {run.riskScore ?? "–"}</span>
          {run.simulated && (
            <span className="rounded bg-violet-100 px-2 py-0.5 text-xs font-medium text-violet-800" title="Made by npm run ctl -- simulate-history; remove with simulate-history --delete">
              simulated
            </span>
          )}
          {run.afterMerge && (
            <span className="rounded bg-sky-100 px-2 py-0.5 text-xs font-medium text-sky-800" data-testid="run-after-merge" title="Gate-only repository: people merged the pull request after its checks passed; this run deploys the merge commit">
              deploys the merge commit
            </span>
          )}
          {run.rerun > 0 && (
            <span className="rounded bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700" title="A person asked the code host to run the checks again on this commit">
              re-run {run.rerun}
            </span>
          )}
          <span>by {pr.author}</span>
          <span className="font-mono text-xs">
            {run.baseSha.slice(0, 8)}…{run.headSha.slice(0, 8)}
          </span>
          <span>policy v{run.policy.version}</span>
        </div>
      </div>

      <section>
        <h2 className="mb-2 text-lg font-semibold">Timeline</h2>
        <ol className="space-y-3">
          {run.stageRuns.map((stage) => {
            const decisions = run.decisions.filter((d) => d.stageRunId === stage.id);
            return (
              <li key={stage.id} className="rounded-lg border border-slate-200 bg-white p-4">
                <div className="flex flex-wrap items-center gap-3">
                  <span className="font-semibold capitalize">{stage.stage}</span>
                  <span className="text-xs text-slate-500">attempt {stage.attempt}</span>
                  <span className={`rounded px-2 py-0.5 text-xs ${statusTone[stage.status] ?? ""}`}>
                    {stage.status}
                  </span>
                  <span className="text-sm text-slate-600">{stage.summary}</span>
                  <span className="ml-auto text-xs text-slate-500">
                    {stage.finishedAt ? `finished ${new Date(stage.finishedAt).toLocaleTimeString()}` : stage.startedAt ? "running…" : "queued"}
                  </span>
                </div>
                {stage.error && <p className="mt-2 text-sm text-red-700">Error: {stage.error}</p>}
                {decisions.map((d) => (
                  <DecisionCard key={d.id} decision={d} />
                ))}
                {deploymentOf(stage.output) && (
                  <Link href={`/deployments/${deploymentOf(stage.output)}`} className="mt-2 inline-block text-sm font-medium text-indigo-700 hover:underline">
                    Open the {stage.stage === "staging" ? "staging deployment" : "canary"}: charts, steps and verdicts →
                  </Link>
                )}
                {stage.stage === "test" && isTestStageOutput(stage.output) && (
                  <div className="mt-3">
                    <TestStageView output={stage.output} runId={run.id} />
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      </section>

      <section>
        <h2 className="mb-2 text-lg font-semibold">Changes</h2>
        <RunDiffViewer runId={run.id} findings={testOutput && isTestStageOutput(testOutput) ? coverageGapFindings(testOutput) : []} />
      </section>

      {run.escalations.length > 0 && (
        <section>
          <h2 className="mb-2 text-lg font-semibold">Escalations</h2>
          <ul className="space-y-1 text-sm">
            {run.escalations.map((e) => (
              <li key={e.id}>
                {e.stage}: {e.reasons.join(", ")} · {e.status} · due {new Date(e.dueAt).toLocaleString()}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section>
        <h2 className="mb-2 text-lg font-semibold">Audit events</h2>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">#</th>
                <th className="px-3 py-2">Time</th>
                <th className="px-3 py-2">Actor</th>
                <th className="px-3 py-2">Action</th>
                <th className="px-3 py-2">Hash</th>
              </tr>
            </thead>
            <tbody>
              {auditEvents.map((event) => (
                <tr key={event.sequence} className="border-t border-slate-100">
                  <td className="px-3 py-1.5 font-mono text-xs">{event.sequence}</td>
                  <td className="px-3 py-1.5 text-slate-600">{new Date(event.occurredAt).toLocaleString()}</td>
                  <td className="px-3 py-1.5">{event.actorLabel}</td>
                  <td className="px-3 py-1.5 font-mono text-xs">{event.action}</td>
                  <td className="px-3 py-1.5 font-mono text-xs text-slate-500">{event.hash.slice(0, 16)}…</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
