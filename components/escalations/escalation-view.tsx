"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import { fetchJson } from "@/components/ui/api";
import type { Me } from "@/lib/auth/me";
import { assignEscalation } from "./api";
import { ChangeSection } from "./change-section";
import { HistorySection, NotCheckedSection, SuggestionSection } from "./context-sections";
import { DecisionPanel } from "./decision-panel";
import { EscalationHeader } from "./escalation-header";
import { FindingsSection } from "./findings-section";
import { ReasonsSection } from "./reasons-section";
import type { DecisionKind, EscalationDetail } from "./types";

const decideParam: Record<string, DecisionKind> = { approve: "approve", reject: "reject", request_changes: "request_changes" };

function useNow(intervalMs: number) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/**
 * One escalation and its context package, refreshed every 3 s so a decision made elsewhere shows
 * up. On wide screens the decision panel sits in its own sticky column beside the package; on
 * narrow ones it follows "Why it is here", so the order of reading stays the same.
 */
export function EscalationView({ escalationId }: { escalationId: string }) {
  const queryClient = useQueryClient();
  const searchParams = useSearchParams();
  const [initialDecision] = useState(() => decideParam[searchParams.get("decide") ?? ""] ?? null);
  const now = useNow(15_000);
  const query = useQuery({
    queryKey: ["escalation", escalationId],
    queryFn: () => fetchJson<{ escalation: EscalationDetail }>(`/api/v1/escalations/${escalationId}`),
    refetchInterval: 3000,
  });
  const me = useQuery({ queryKey: ["me"], queryFn: () => fetchJson<Me>("/api/v1/me"), staleTime: Infinity });
  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ["escalation", escalationId] });
    void queryClient.invalidateQueries({ queryKey: ["inbox"] });
  }, [queryClient, escalationId]);
  const assign = useMutation({
    mutationFn: (assignee: "me" | null) => assignEscalation(escalationId, assignee),
    onSettled: refresh,
  });

  if (query.isLoading) return <p className="text-sm text-slate-500">Loading the escalation…</p>;
  if (query.isError && !query.data) {
    return (
      <div role="alert" className="rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
        Could not load this escalation: {query.error.message}
      </div>
    );
  }
  const escalation = query.data!.escalation;
  const pkg = escalation.contextPackage;
  return (
    <div>
      <EscalationHeader
        escalation={escalation}
        now={now}
        assignedToMe={Boolean(me.data && escalation.assignee?.id === me.data.user.id)}
        assigning={assign.isPending}
        assignError={assign.isError ? assign.error.message : null}
        onAssign={(assignee) => assign.mutate(assignee)}
      />
      {query.isError && <p className="mb-4 text-sm text-red-700">Could not refresh: {query.error.message}</p>}
      {/* No vertical gap: the panel spans every row, and empty rows must not add space. */}
      <div className="lg:grid lg:grid-cols-[minmax(0,1fr)_22rem] lg:gap-x-6 xl:grid-cols-[minmax(0,1fr)_24rem]">
        <div className="lg:col-start-1">
          <ReasonsSection pkg={pkg} />
        </div>
        <aside className="mb-6 lg:col-start-2 lg:row-[1/span_7]" aria-label="Decision">
          <div className="lg:sticky lg:top-4 lg:max-h-[calc(100vh-2rem)] lg:overflow-y-auto">
            <DecisionPanel escalation={escalation} me={me.data} initialDecision={initialDecision} onDecided={refresh} />
          </div>
        </aside>
        <div className="min-w-0 lg:col-start-1">
          <ChangeSection pkg={pkg} runId={escalation.run.id} />
        </div>
        <div className="lg:col-start-1">
          <FindingsSection pkg={pkg} />
        </div>
        <div className="lg:col-start-1">
          <NotCheckedSection pkg={pkg} />
        </div>
        <div className="lg:col-start-1">
          <HistorySection pkg={pkg} now={now} />
        </div>
        <div className="lg:col-start-1">
          <SuggestionSection pkg={pkg} />
        </div>
      </div>
    </div>
  );
}
