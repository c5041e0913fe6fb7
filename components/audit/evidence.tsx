import type { ReactNode } from "react";

/** Evidence reads in UTC, with seconds: the same instant for every reader, wherever they are. */
export function utc(iso: string | null): string {
  return iso ? `${iso.slice(0, 19).replace("T", " ")} UTC` : "–";
}

export function EvidenceSection({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section id={id} aria-labelledby={`${id}-title`} className="rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={`${id}-title`} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      <div className="space-y-3">{children}</div>
    </section>
  );
}

export function Facts({ children }: { children: ReactNode }) {
  return <dl className="grid grid-cols-1 gap-x-4 gap-y-1.5 text-sm sm:grid-cols-[12rem_1fr]">{children}</dl>;
}

export function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt className="font-medium text-slate-500">{term}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </>
  );
}

export function Mono({ children }: { children: ReactNode }) {
  return <span className="break-all font-mono text-xs">{children}</span>;
}

/** The audit events behind a line, each a link to its row in the record's event table. */
export function EventRefs({ events, missing = "no audit event" }: { events: string[]; missing?: string }) {
  return (
    <p className="text-xs text-slate-500" data-testid="event-refs">
      Audit events:{" "}
      {events.length === 0 ? (
        <span className="text-amber-700">{missing}</span>
      ) : (
        events.map((sequence, i) => (
          <span key={sequence}>
            {i > 0 && ", "}
            <a href={`#event-${sequence}`} className="font-mono text-indigo-700 hover:underline">
              #{sequence}
            </a>
          </span>
        ))
      )}
    </p>
  );
}

/** A sub-block inside a section: one decision, one approval, one attempt. */
export function EvidenceItem({ title, children }: { title?: ReactNode; children: ReactNode }) {
  return (
    <div className="space-y-2 rounded-md border border-slate-200 bg-slate-50 p-3">
      {title && <h3 className="text-sm font-semibold text-slate-800">{title}</h3>}
      {children}
    </div>
  );
}

export function Prose({ children }: { children: string }) {
  return <p className="whitespace-pre-wrap text-sm text-slate-800">{children}</p>;
}
