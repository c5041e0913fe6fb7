import { ApiTokens } from "@/components/settings/api-tokens";
import { NotificationChannels } from "@/components/settings/notification-channels";
import { PolicyEditor } from "@/components/settings/policy-editor";
import { Repositories } from "@/components/settings/repositories";
import { RunnerSandboxes, type RunnerSandbox } from "@/components/settings/runner-sandboxes";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage, tokenScopes } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/settings");

export default async function SettingsPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const users = await db().user.findMany({ orderBy: { email: "asc" }, select: { id: true, email: true, name: true, role: true } });
  // Runners seen within the last minute (a heartbeat every 2 s; the lease is 30 s by default).
  const runners = await db().runnerHeartbeat.findMany({
    where: { lastSeenAt: { gt: new Date(Date.now() - 60_000) } },
    orderBy: { startedAt: "asc" },
    select: { id: true, hostname: true, lastSeenAt: true, sandbox: true },
  });
  return (
    <>
      <PageHeader title="Settings" description="People, API tokens, runners, repositories and policy." />
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Policy</h2>
        <PolicyEditor />
      </section>
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Runners</h2>
        <RunnerSandboxes runners={runners as RunnerSandbox[]} />
      </section>
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Repositories</h2>
        <Repositories />
      </section>
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Notifications</h2>
        <NotificationChannels />
      </section>
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">API tokens</h2>
        <ApiTokens scopes={[...tokenScopes]} />
      </section>
      <section>
        <h2 className="mb-3 text-lg font-semibold">People</h2>
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">Name</th>
                <th className="px-3 py-2">Email</th>
                <th className="px-3 py-2">Role</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className="border-t border-slate-100">
                  <td className="px-3 py-2">{u.name}</td>
                  <td className="px-3 py-2 text-slate-600">{u.email}</td>
                  <td className="px-3 py-2">{u.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="mt-2 text-xs text-slate-500">
          Add people with <code>npm run ctl -- user create --email … --role reviewer</code>.
        </p>
      </section>
    </>
  );
}
