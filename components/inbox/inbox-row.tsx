"use client";

import Link from "next/link";
import type { Ref } from "react";
import type { InboxItem } from "@/lib/escalations/inbox";
import { ReasonBadge } from "./reason-badge";
import { absoluteTime, relativeTime } from "./time";

/** Shared by the header and the rows so the columns line up on wide screens. */
export const inboxGrid = "lg:grid lg:grid-cols-[minmax(0,2.4fr)_minmax(0,1.8fr)_5rem_5.5rem_7rem_minmax(0,1fr)_7.5rem] lg:items-center lg:gap-3";

export function InboxHeader() {
  return (
    <div className={`hidden px-4 py-2 text-xs font-semibold uppercase tracking-wide text-slate-500 ${inboxGrid}`} aria-hidden>
      <span>Pull request</span>
      <span>Why</span>
      <span>Stage</span>
      <span>Age</span>
      <span>SLA due</span>
      <span>Assignee</span>
      <span />
    </div>
  );
}

interface RowProps {
  item: InboxItem;
  now: number;
  selected: boolean;
  fresh: boolean;
  assignedToMe: boolean;
  assigning: boolean;
  rowRef: Ref<HTMLLIElement>;
  onSelect: () => void;
  onAssign: (assignee: "me" | null) => void;
}

function SlaDue({ item, now }: { item: InboxItem; now: number }) {
  return (
    <span className="flex flex-wrap items-center gap-1" title={`Due ${absoluteTime(item.dueAt)}`}>
      {item.overdue ? (
        <>
          <span className="rounded bg-red-600 px-1.5 py-0.5 text-xs font-semibold text-white">overdue</span>
          <span className="text-xs text-red-700">{relativeTime(item.dueAt, now)}</span>
        </>
      ) : (
        <span className="text-slate-700">{relativeTime(item.dueAt, now)}</span>
      )}
    </span>
  );
}

/** One escalation in the list: everything needed to pick what to look at next. */
export function InboxRow({ item, now, selected, fresh, assignedToMe, assigning, rowRef, onSelect, onAssign }: RowProps) {
  const pr = item.pullRequest;
  return (
    <li
      ref={rowRef}
      data-testid="inbox-row"
      data-escalation-id={item.id}
      aria-current={selected ? "true" : undefined}
      onClick={onSelect}
      className={`relative scroll-my-16 px-4 py-3 text-sm ${inboxGrid} ${
        selected ? "z-10 rounded-md bg-indigo-50/60 ring-2 ring-indigo-500" : fresh ? "bg-sky-50" : "bg-white hover:bg-slate-50"
      }`}
    >
      <div className="min-w-0">
        <div className="flex items-center gap-2 text-xs text-slate-500">
          <span>
            {item.repository} #{pr.number}
          </span>
          {fresh && <span className="rounded bg-sky-600 px-1.5 text-[10px] font-semibold uppercase tracking-wide text-white">new</span>}
        </div>
        <Link href={`/escalations/${item.id}`} className="mt-0.5 block truncate font-medium text-slate-900 hover:text-indigo-700 hover:underline">
          {pr.title}
        </Link>
        <div className="truncate text-xs text-slate-500">by {pr.author}</div>
      </div>
      <div className="mt-2 flex flex-wrap gap-1 lg:mt-0">
        {item.reasons.map((code, i) => (
          <ReasonBadge key={code} code={code} label={item.reasonLabels[i]} />
        ))}
      </div>
      <div className="mt-2 flex flex-wrap gap-x-4 gap-y-1 lg:contents">
        <span className="capitalize text-slate-700">{item.stage}</span>
        <span className="text-slate-600" title={`Escalated ${absoluteTime(item.createdAt)}`}>
          {relativeTime(item.createdAt, now)}
        </span>
        <SlaDue item={item} now={now} />
        <span className="truncate text-slate-700">
          {item.assignee ? (assignedToMe ? "You" : item.assignee.name) : <span className="text-slate-400">Unassigned</span>}
          {item.approvals > 0 && <span className="ml-1 text-xs text-emerald-700">· {item.approvals} approval{item.approvals === 1 ? "" : "s"}</span>}
        </span>
      </div>
      <div className="mt-2 lg:mt-0 lg:text-right">
        <button
          type="button"
          disabled={assigning}
          onClick={(e) => {
            e.stopPropagation();
            onAssign(assignedToMe ? null : "me");
          }}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:opacity-50"
        >
          {assignedToMe ? "Unassign" : "Assign to me"}
        </button>
      </div>
    </li>
  );
}
