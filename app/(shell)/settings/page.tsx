import { ApiTokens } from "@/components/settings/api-tokens";
import { CodeHost } from "@/components/settings/code-host";
import { NotificationChannels } from "@/components/settings/notification-channels";
import { PolicyEditor } from "@/components/settings/policy-editor";
import { Repositories } from "@/components/settings/repositories";
import { RunnerSandboxes, type RunnerSandbox } from "@/components/settings/runner-sandboxes";
import { UserAccess } from "@/components/settings/user-access";
import { NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage, tokenScopes } from "@/lib/auth/roles";
import { githubSignInConfigOf } from "@/lib/auth/github-sign-in";
import { ssoConfigOf } from "@/lib/auth/sso";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";
const page = appPage("/settings");

export default async function SettingsPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const users = await db().user.findMany({ orderBy: { email: "asc" }, select: { id: true, email: true, name: true, role: true, disabledAt: true } });
  // Runners seen within the last minute (a heartbeat every 2 s; the lease is 30 s by default).
  const runners = await db().runnerHeartbeat.findMany({
    // eslint-disable-next-line react-hooks/purity -- a server component, rendered once per request
    where: { lastSeenAt: { gt: new Date(Date.now() - 60_000) } },
    orderBy: { startedAt: "asc" },
    select: { id: true, hostname: true, lastSeenAt: true, sandbox: true },
  });
  return (
    <>
      <PageHeader title="Settings" description="People, API tokens, runners, repositories, the code host and policy." />
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Policy</h2>
        <PolicyEditor />
      </section>
      <section className="mb-8">
        <h2 className="mb-3 text-lg font-semibold">Sign-in</h2>
        <SignInSettings />
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
        <h2 className="mb-3 text-lg font-semibold">Code host</h2>
        <CodeHost />
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
                <th className="px-3 py-2">Role and access</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} className={`border-t border-slate-100 ${u.disabledAt ? "text-slate-400" : ""}`}>
                  <td className="px-3 py-2">
                    {u.name}
                    {u.disabledAt && " (disabled)"}
                  </td>
                  <td className="px-3 py-2 text-slate-600">{u.email}</td>
                  <td className="px-3 py-2">
                    <UserAccess user={{ id: u.id, email: u.email, role: u.role, disabled: Boolean(u.disabledAt) }} self={u.id === user.id} />
                  </td>
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

/** How people sign in, from the environment (never the client secret). */
function SignInSettings() {
  const sso = ssoConfigOf(env());
  const local = env().FLOWGATE_LOCAL_PASSWORDS === "on";
  const github = githubSignInConfigOf(env(), env().FLOWGATE_SSO_DEFAULT_ROLE);
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="sign-in-settings">
      <dt className="font-medium">Local passwords</dt>
      <dd>{local ? "on" : "off (single sign-on only)"}</dd>
      <dt className="font-medium">Single sign-on</dt>
      <dd>{sso ? `${sso.name}: ${sso.issuer} (client ${sso.clientId}, scopes "${sso.scopes}")` : "not configured (set FLOWGATE_OIDC_ISSUER, FLOWGATE_OIDC_CLIENT_ID and FLOWGATE_OIDC_CLIENT_SECRET)"}</dd>
      <dt className="font-medium">GitHub</dt>
      <dd>
        {github
          ? `${github.webUrl} (OAuth app ${github.clientId}); teams → roles: ${github.roleMap.map((m) => `${m.group} → ${m.role}`).join(", ") || "no mapping"}`
          : "not configured (set FLOWGATE_GITHUB_CLIENT_ID and FLOWGATE_GITHUB_CLIENT_SECRET)"}
      </dd>
      {sso && (
        <>
          <dt className="font-medium">Groups → roles</dt>
          <dd>
            {sso.roleMap.length > 0 ? sso.roleMap.map((m) => `${m.group} → ${m.role}`).join(", ") : "no mapping"}; anyone else:{" "}
            {sso.defaultRole === "deny" ? "refused" : sso.defaultRole} (claim &quot;{sso.groupsClaim}&quot;)
          </dd>
        </>
      )}
    </dl>
  );
}
