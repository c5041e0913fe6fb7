"use client";

import { useQuery } from "@tanstack/react-query";
import { fetchText } from "@/components/ui/api";
import { DiffViewer } from "./diff-viewer";
import type { Finding } from "./types";

/**
 * The diff viewer for a run, fetching the diff by the run's id: the escalation and run pages'
 * own responses never carry it, so they stay small however large the change is.
 */
export function RunDiffViewer({ runId, findings }: { runId: string; findings: Finding[] }) {
  // A run's diff never changes: fetched once per page.
  const diff = useQuery({ queryKey: ["run-diff", runId], queryFn: () => fetchText(`/api/v1/runs/${encodeURIComponent(runId)}/diff`), staleTime: Infinity });
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
