"use client";

import { useQuery } from "@tanstack/react-query";
import { DiffViewer } from "./diff-viewer";
import type { Finding } from "./types";

/** A run's diff as text: the one request that carries it. A run's diff never changes. */
async function fetchRunDiff(runId: string): Promise<string> {
  const response = await fetch(`/api/v1/runs/${encodeURIComponent(runId)}/diff`);
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
  }
  return response.text();
}

/**
 * The diff viewer for a run, fetching the diff by the run's id: the escalation and run pages'
 * own responses never carry it, so they stay small however large the change is.
 */
export function RunDiffViewer({ runId, findings }: { runId: string; findings: Finding[] }) {
  const diff = useQuery({ queryKey: ["run-diff", runId], queryFn: () => fetchRunDiff(runId), staleTime: Infinity });
  if (diff.isPending) return <p className="text-sm text-slate-500" data-testid="diff-loading">Loading the diff…</p>;
  if (diff.isError) {
    return (
      <p className="text-sm text-red-700" role="alert">
        Could not load the diff: {diff.error.message}. Reload the page to try again.
      </p>
    );
  }
  return <DiffViewer diff={diff.data} findings={findings} />;
}
