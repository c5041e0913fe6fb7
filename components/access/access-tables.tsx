import { EmptyState } from "@/components/ui/empty-state";
import type { AccessEvent, RoleHolder } from "@/lib/access/access-report";

export function AccessHolders({ holders }: { holders: RoleHolder[] }) {
  if (holders.length === 0) return <EmptyState title="Nobody had an account then">The audit log holds no account created before this time.</EmptyState>;
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full text-sm" data-testid="access-holders">
        <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
          <tr>
            <th className="px-3 py-2">Email</th>
            <th className="px-3 py-2">Role</th>
            <th className="px-3 py-2">Could approve deployments</th>
            <th className="px-3 py-2">Role since</th>
          </tr>
        </thead>
        <tbody>
          {holders.map((h) => (
            <tr key={h.userId} className={`border-t border-slate-100 ${h.disabled ? "text-slate-400 line-through" : ""}`}>
              <td className="px-3 py-2">{h.email}</td>
              <td className="px-3 py-2">
                {h.role}
                {h.disabled && <span className="ml-2 no-underline">(disabled)</span>}
              </td>
              <td className="px-3 py-2">{h.canApprove && !h.disabled ? "yes" : "no"}</td>
              <td className="px-3 py-2 text-slate-600">{h.since.replace("T", " ").slice(0, 16)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const tone = (action: string) => (action === "sign_in.succeeded" ? "text-emerald-700" : action.startsWith("sign_in.") ? "text-red-700" : "text-slate-700");

export function AccessEvents({ events }: { events: AccessEvent[] }) {
  if (events.length === 0) return <EmptyState title="No access events in this period">Widen the period above; sign-ins, failures and user or token changes appear here.</EmptyState>;
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full text-sm" data-testid="access-events">
        <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
          <tr>
            <th className="px-3 py-2">When (UTC)</th>
            <th className="px-3 py-2">Event</th>
            <th className="px-3 py-2">Account</th>
            <th className="px-3 py-2">Address</th>
            <th className="px-3 py-2">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.sequence} className="border-t border-slate-100">
              <td className="whitespace-nowrap px-3 py-2 text-slate-600">{e.occurredAt.replace("T", " ").slice(0, 19)}</td>
              <td className={`px-3 py-2 font-medium ${tone(e.action)}`}>{e.action}</td>
              <td className="px-3 py-2">{e.email ?? e.actor}</td>
              <td className="px-3 py-2 text-slate-600">{e.address ?? ""}</td>
              <td className="px-3 py-2 font-mono text-xs text-slate-600">{e.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
