"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { fetchJson } from "@/components/ui/api";
import type { AuditEventDetail, LinkedAgentDecision } from "@/lib/audit/search/search-events";
import { FindingsList } from "./findings-list";

function TextBlock({ title, children, testId, mono = false }: { title: string; children: string; testId?: string; mono?: boolean }) {
  return (
    <div>
      <h4 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h4>
      <pre data-testid={testId} className={`max-h-96 overflow-auto whitespace-pre-wrap break-words rounded-md border border-slate-200 bg-white p-3 text-slate-800 ${mono ? "font-mono text-xs" : "font-sans text-sm"}`}>
        {children}
      </pre>
    </div>
  );
}

function Meta({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-500">{label}</dt>
      <dd className="min-w-0 break-all font-mono text-xs leading-5">{children}</dd>
    </>
  );
}

function AgentDecisionBlock({ decision }: { decision: LinkedAgentDecision }) {
  const usage = decision.inputTokens !== null ? ` · ${decision.inputTokens} tokens in / ${decision.outputTokens} out · ${decision.latencyMs} ms` : "";
  return (
    <div className="space-y-3 rounded-md border border-slate-200 bg-white p-3">
      <p className="text-xs text-slate-500">
        Stored agent decision {decision.id} ({decision.agent} {decision.agentVersion}, {decision.provider}
        {decision.model ? ` · ${decision.model}` : ""}
        {usage}). The prompt and response are kept with the run; the event above carries their input hash into the chain.
      </p>
      <FindingsList output={decision.output} />
      {decision.prompt ? (
        <TextBlock title="Prompt sent to the model" mono>{decision.prompt}</TextBlock>
      ) : (
        <p className="text-sm text-slate-600">No prompt stored: {decision.provider === "heuristic" ? "the rule-based heuristic decided without a model." : "none was recorded."}</p>
      )}
      {decision.response && <TextBlock title="Model response" mono>{decision.response}</TextBlock>}
    </div>
  );
}

/** One event in full: integrity, identifiers, the reasoning, the linked decision and the raw payload. */
export function AuditEventDetailPanel({ sequence }: { sequence: string }) {
  const query = useQuery({
    queryKey: ["audit-event", sequence],
    queryFn: () => fetchJson<{ event: AuditEventDetail }>(`/api/v1/audit/events?sequence=${sequence}`),
    staleTime: Infinity,
  });
  if (query.isLoading) return <p className="text-sm text-slate-500">Loading event #{sequence}…</p>;
  if (query.isError) return <p className="text-sm text-red-700">Could not load event #{sequence}: {query.error.message}</p>;
  const event = query.data!.event;
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  return (
    <div className="space-y-3" data-testid="event-detail">
      <p className={`text-sm ${event.integrity.ok ? "text-emerald-800" : "font-medium text-red-800"}`}>
        {event.integrity.ok ? "✓ " : "✗ "}
        {event.integrity.description}
      </p>
      <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-sm">
        <Meta label="Hash">{event.hash}</Meta>
        <Meta label="Previous hash">{event.prevHash}</Meta>
        <Meta label="Actor">
          {event.actor.type} · {event.actor.id} · {event.actor.label}
        </Meta>
        <Meta label="Subject">
          {event.subject.type} {event.subject.id}
        </Meta>
        {event.runId && (
          <Meta label="Run">
            <Link className="text-indigo-700 hover:underline" href={`/audit/changes/${event.runId}`}>
              {event.runId}
            </Link>
          </Meta>
        )}
        {event.repository && <Meta label="Repository">{event.repository.name ?? event.repository.id}</Meta>}
      </dl>
      {typeof payload.rationale === "string" && <TextBlock title="Rationale" testId="event-rationale">{payload.rationale}</TextBlock>}
      {event.agentDecision && <AgentDecisionBlock decision={event.agentDecision} />}
      <TextBlock title="Payload (as hashed)" mono>{JSON.stringify(event.payload, null, 2)}</TextBlock>
    </div>
  );
}
