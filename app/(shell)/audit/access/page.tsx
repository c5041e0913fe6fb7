import { AccessHolders, AccessEvents } from "@/components/access/access-tables";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { accessEvents, roleHoldersAt } from "@/lib/access/access-report";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/audit");
const DAY = 24 * 3600 * 1000;

type SearchParams = Record<string, string | string[] | undefined>;

/**
 * A datetime-local value ("2026-11-01T09:00") read as UTC; anything unreadable is the fallback. The
 * end of a period given to the minute includes that whole minute.
 */
function instant(value: string | string[] | undefined, fallback: Date, options: { endOfMinute?: boolean } = {}): Date {
  if (typeof value !== "string" || value === "") return fallback;
  const parsed = new Date(/[zZ]|[+-]\d\d:\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(parsed.getTime())) return fallback;
  return options.endOfMinute && /T\d\d:\d\d$/.test(value) ? new Date(parsed.getTime() + 59_999) : parsed;
}
const local = (date: Date) => date.toISOString().slice(0, 16);

/** Who could do what, when, and who signed in: the auditor's access questions, from the audit log. */
export default async function AccessPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page="Access" role={user.role} />;
  const params = await searchParams;
  const now = new Date();
  const at = instant(params.at, now, { endOfMinute: true });
  const to = instant(params.to, now, { endOfMinute: true });
  const from = instant(params.from, new Date(to.getTime() - 7 * DAY));
  const [holders, events] = await Promise.all([roleHoldersAt(db(), at), accessEvents(db(), { from, to, limit: 500 })]);
  const csv = (what: string, query: Record<string, string>) => `/api/v1/access?${new URLSearchParams({ format: "csv", what, ...query })}`;
  return (
    <>
      <PageHeader
        title="Access"
        description="Who held which role at a given time, and every sign-in, failure, lock, sign-out and token or user change of a period, all read from the hash-chained audit log (times in UTC)."
      />
      <form className="mb-4 flex flex-wrap items-end gap-3 text-sm" data-testid="access-form">
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Roles held at</span>
          <input type="datetime-local" name="at" defaultValue={local(at)} className="rounded border border-slate-300 px-2 py-1" />
        </label>
        <label className="flex flex-col">
          <span className="mb-1 font-medium">Events from</span>
          <input type="datetime-local" name="from" defaultValue={local(from)} className="rounded border border-slate-300 px-2 py-1" />
        </label>
        <label className="flex flex-col">
          <span className="mb-1 font-medium">to</span>
          <input type="datetime-local" name="to" defaultValue={local(to)} className="rounded border border-slate-300 px-2 py-1" />
        </label>
        <button type="submit" className="rounded bg-indigo-600 px-3 py-1.5 font-medium text-white hover:bg-indigo-700">
          Show
        </button>
      </form>
      <section className="mb-8">
        <div className="mb-2 flex items-baseline justify-between">
          <h2 className="text-lg font-semibold">Roles at {at.toISOString().replace("T", " ").slice(0, 16)} UTC</h2>
          <a className="text-sm text-indigo-700 hover:underline" href={csv("holders", { at: at.toISOString() })}>
            Download CSV
          </a>
        </div>
        <AccessHolders holders={holders} />
      </section>
      <section>
        <div className="mb-2 flex items-baseline justify-between">
          <h2 className="text-lg font-semibold">Access events</h2>
          <a className="text-sm text-indigo-700 hover:underline" href={csv("events", { from: from.toISOString(), to: to.toISOString() })}>
            Download CSV
          </a>
        </div>
        <AccessEvents events={events} />
      </section>
    </>
  );
}
