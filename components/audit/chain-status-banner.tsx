"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { fetchJson } from "@/components/ui/fetch-json";

/** `GET /api/v1/audit/verify` as JSON: sequence numbers arrive as strings. */
interface ChainStatusJson {
  ok: boolean;
  verifiedThrough: string | null;
  verifiedAt: string | null;
  eventsChecked: number;
  broken: { sequence: string; kind: string; description: string } | null;
}

const tones = {
  verified: "border-emerald-200 bg-emerald-50 text-emerald-900",
  broken: "border-red-300 bg-red-50 text-red-900",
  pending: "border-slate-200 bg-slate-50 text-slate-700",
};

/** Seconds since `running` became true, ticking while it stays true. */
function useElapsedSeconds(running: boolean): number {
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    if (!running) return;
    const started = Date.now();
    setElapsed(0);
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - started) / 1000)), 500);
    return () => clearInterval(timer);
  }, [running]);
  return elapsed;
}

function StatusText({ status, checkedAt }: { status: ChainStatusJson; checkedAt: number }) {
  const checked = `${status.eventsChecked.toLocaleString()} events re-hashed at ${new Date(checkedAt).toLocaleTimeString()}`;
  if (status.ok && !status.verifiedThrough) return <span>The audit log is empty: nothing to verify yet.</span>;
  if (status.ok) {
    return (
      <span>
        <b>Chain verified</b> through event <b>#{status.verifiedThrough}</b> ({new Date(status.verifiedAt!).toLocaleString()}). {checked}.
      </span>
    );
  }
  const broken = status.broken!;
  const next = BigInt(broken.sequence) + 1n;
  return (
    <span>
      <b>Chain broken at event #{broken.sequence}</b> ({broken.kind}): {broken.description}.{" "}
      {status.verifiedThrough ? `Intact through event #${status.verifiedThrough}. ` : "No event before it verifies. "}
      {checked}.{" "}
      <Link className="font-medium underline" href={`/audit?before=${next}`}>
        Show the events from #{broken.sequence}
      </Link>
    </span>
  );
}

/**
 * The chain's state at the top of the audit page. The server re-hashes every event on each
 * verification, so it runs once on arrival and again only when asked.
 */
export function ChainStatusBanner() {
  const query = useQuery({
    queryKey: ["audit-verify"],
    queryFn: () => fetchJson<ChainStatusJson>("/api/v1/audit/verify"),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    retry: false,
  });
  const elapsed = useElapsedSeconds(query.isFetching);
  const state = query.isFetching ? "verifying" : query.isError ? "error" : query.data?.ok ? "verified" : query.data ? "broken" : "verifying";
  const tone = state === "verified" ? tones.verified : state === "broken" || state === "error" ? tones.broken : tones.pending;
  return (
    <div data-testid="chain-status" data-state={state} role="status" className={`mb-4 flex flex-wrap items-center gap-3 rounded-md border px-4 py-3 text-sm ${tone}`}>
      <div className="min-w-0 flex-1">
        {query.isFetching ? (
          <span>Verifying the full chain: re-hashing every event in order… {elapsed}s</span>
        ) : query.isError ? (
          <span>Could not verify the chain: {query.error.message}</span>
        ) : query.data ? (
          <StatusText status={query.data} checkedAt={query.dataUpdatedAt} />
        ) : null}
      </div>
      <button
        type="button"
        onClick={() => query.refetch()}
        disabled={query.isFetching}
        className="rounded-md border border-current/30 bg-white/70 px-3 py-1 text-sm font-medium hover:bg-white disabled:opacity-50"
      >
        {query.isFetching ? "Verifying…" : "Verify full chain"}
      </button>
    </div>
  );
}
