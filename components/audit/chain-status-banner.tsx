"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { fetchJson } from "@/components/ui/api";
import type { FullVerificationView } from "@/lib/audit/verify/run-full-verification";
import type { ChainStatusReport } from "@/lib/audit/verify/verify-from-checkpoint";

const tones = {
  verified: "border-emerald-200 bg-emerald-50 text-emerald-900",
  broken: "border-red-300 bg-red-50 text-red-900",
  pending: "border-slate-200 bg-slate-50 text-slate-700",
};

const when = (iso: string) => new Date(iso).toLocaleString();

function StatusText({ status }: { status: ChainStatusReport }) {
  const from = status.startedFrom
    ? `checked from the ${status.startedFrom.mode} checkpoint at event #${status.startedFrom.sequence} (${when(status.startedFrom.verifiedAt)}): ${status.eventsChecked.toLocaleString()} newer event${status.eventsChecked === 1 ? "" : "s"} re-hashed`
    : `${status.eventsChecked.toLocaleString()} events re-hashed from the first`;
  const lastFull = status.lastFull?.status === "verified" ? ` Last full verification: ${when(status.lastFull.finishedAt!)}, through event #${status.lastFull.verifiedThrough}.` : "";
  if (status.ok && !status.verifiedThrough) return <span>The audit log is empty: nothing to verify yet.</span>;
  if (status.ok) {
    return (
      <span>
        <b>Chain verified</b> through event <b>#{status.verifiedThrough}</b>
        {status.verifiedAt ? ` (${when(status.verifiedAt)})` : ""}, {from} at {when(status.checkedAt)}.{lastFull}
      </span>
    );
  }
  const broken = status.broken!;
  const next = BigInt(broken.sequence) + 1n;
  const foundBy = broken.foundBy === "full" ? `found by the full verification of ${when(broken.foundAt)}` : `found at ${when(broken.foundAt)}`;
  return (
    <span>
      <b>Chain broken at event #{broken.sequence}</b> ({broken.kind}): {broken.description}; {foundBy}.{" "}
      {status.verifiedThrough ? `Intact through event #${status.verifiedThrough}. ` : ""}
      <Link className="font-medium underline" href={`/audit?before=${next}`}>
        Show the events from #{broken.sequence}
      </Link>
    </span>
  );
}

/** Polls one full verification while it runs; the row's progress comes from the server. */
function useFullVerification(id: string | null) {
  return useQuery({
    queryKey: ["audit-full-verification", id],
    queryFn: () => fetchJson<{ verification: FullVerificationView }>(`/api/v1/audit/verify/${id}`).then((r) => r.verification),
    enabled: id !== null,
    refetchInterval: (query) => (query.state.data && query.state.data.status !== "running" ? false : 700),
    retry: false,
  });
}

function FullProgress({ run }: { run: FullVerificationView }) {
  const percent = Math.floor(run.progress * 100);
  return (
    <div className="space-y-1">
      <span>
        Full verification (asked by {run.requestedBy}): {run.eventsChecked.toLocaleString()} of {Number(run.targetSequence).toLocaleString()} events re-hashed, {percent}%…
      </span>
      <div className="h-1.5 w-full max-w-md rounded bg-white/70" role="progressbar" aria-label="Full verification progress" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
        <div className="h-1.5 rounded bg-current" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

/**
 * The chain's state at the top of the audit page. On arrival the server verifies from its newest
 * checkpoint (only newer events are hashed). "Verify full chain" starts a full run in the
 * background; its progress is polled, and the status is re-read when it ends.
 */
export function ChainStatusBanner() {
  const queryClient = useQueryClient();
  const status = useQuery({
    queryKey: ["audit-verify"],
    queryFn: () => fetchJson<ChainStatusReport>("/api/v1/audit/verify"),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const [runId, setRunId] = useState<string | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  // A full run someone started earlier (or before a reload) is picked up and followed.
  const lastFull = status.data?.lastFull;
  useEffect(() => {
    if (lastFull?.status === "running") setRunId((current) => current ?? lastFull.id);
  }, [lastFull]);
  const run = useFullVerification(runId);
  const running = runId !== null && (!run.data || run.data.status === "running");
  useEffect(() => {
    if (run.data && run.data.status !== "running") {
      setRunId(null);
      void queryClient.invalidateQueries({ queryKey: ["audit-verify"] });
    }
  }, [run.data, queryClient]);

  async function startFull() {
    setStartError(null);
    try {
      const response = await fetchJson<{ verification: FullVerificationView }>("/api/v1/audit/verify", { method: "POST" });
      queryClient.setQueryData(["audit-full-verification", response.verification.id], response.verification);
      setRunId(response.verification.id);
    } catch (error) {
      setStartError((error as Error).message);
    }
  }

  const failedRun = !running && status.data?.lastFull?.status === "failed" ? status.data.lastFull : null;
  const state = running || status.isFetching ? "verifying" : status.isError ? "error" : status.data?.ok ? "verified" : status.data ? "broken" : "verifying";
  const tone = state === "verified" ? tones.verified : state === "broken" || state === "error" ? tones.broken : tones.pending;
  return (
    <div data-testid="chain-status" data-state={state} role="status" className={`mb-4 flex flex-wrap items-center gap-3 rounded-md border px-4 py-3 text-sm ${tone}`}>
      <div className="min-w-0 flex-1 space-y-1">
        {running && run.data ? (
          <FullProgress run={run.data} />
        ) : running || status.isFetching ? (
          <span>Verifying the chain…</span>
        ) : status.isError ? (
          <span>Could not verify the chain: {status.error.message}</span>
        ) : status.data ? (
          <StatusText status={status.data} />
        ) : null}
        {failedRun && <p className="text-xs">The last full verification did not finish: {failedRun.error}</p>}
        {startError && <p className="text-xs text-red-800">Could not start a full verification: {startError}</p>}
      </div>
      <button
        type="button"
        onClick={() => void startFull()}
        disabled={running}
        className="rounded-md border border-current/30 bg-white/70 px-3 py-1 text-sm font-medium hover:bg-white disabled:opacity-50"
      >
        {running ? "Verifying…" : "Verify full chain"}
      </button>
    </div>
  );
}
