"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { fetchJson, postJson } from "@/components/ui/api";
import { githubAppManifest } from "@/lib/code-host/github/app-manifest";
import type { CodeHostDeliveryView, CodeHostSettingsResponse } from "@/lib/code-host/settings-view";

const QUERY_KEY = ["code-host"];
const README_SECTION = "README.md#pull-requests-on-github";

const deliveryTone: Record<string, string> = {
  received: "bg-slate-100 text-slate-700",
  processed: "bg-emerald-100 text-emerald-800",
  ignored: "bg-slate-100 text-slate-500",
  failed: "bg-red-100 text-red-800",
};

const publicationTone: Record<string, string> = {
  pending: "bg-amber-100 text-amber-800",
  sent: "bg-emerald-100 text-emerald-800",
  superseded: "bg-slate-100 text-slate-500",
  skipped: "bg-slate-100 text-slate-600",
  failed: "bg-red-100 text-red-800",
};

/** The page's own origin, read in the browser only (none while rendering on the server). */
function useOrigin(): string | null {
  return useSyncExternalStore(
    () => () => {},
    () => window.location.origin,
    () => null,
  );
}

/** The GitHub App: whether it is configured, the webhook URL, its repositories, deliveries and unsent publications. */
export function CodeHost() {
  const query = useQuery({
    queryKey: QUERY_KEY,
    queryFn: () => fetchJson<CodeHostSettingsResponse>("/api/v1/code-host"),
    refetchInterval: 5000,
  });
  return (
    <div className="space-y-4" data-testid="code-host-settings">
      {query.isError && <p className="text-sm text-red-700">{query.error.message}</p>}
      {query.data && (
        <>
          <GithubApp github={query.data.github} />
          <InstalledRepositories repositories={query.data.repositories} configured={query.data.github.configured} />
          <RecentDeliveries deliveries={query.data.deliveries} />
          <UnsentPublications publications={query.data.publications} />
        </>
      )}
    </div>
  );
}

/** The App's own variables still to set or to fix (the webhook secret has its own row). */
function appVariablesToSet(github: CodeHostSettingsResponse["github"]): string[] {
  return [...github.missing.filter((name) => name !== "GITHUB_WEBHOOK_SECRET"), ...github.invalid];
}

function GithubApp({ github }: { github: CodeHostSettingsResponse["github"] }) {
  const origin = useOrigin();
  const webhookUrl = `${origin ?? "https://<flowgate>"}${github.webhookPath}`;
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="code-host-github">
      <dt className="font-medium">GitHub App</dt>
      <dd>
        {github.configured ? (
          <span className="rounded bg-emerald-100 px-1.5 py-0.5 text-xs font-medium text-emerald-800">configured</span>
        ) : (
          <span>
            <span className="rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-800">not configured</span> Set{" "}
            {appVariablesToSet(github).map((name, i, all) => (
                <span key={name}>
                  <code>{name}</code>
                  {i < all.length - 2 ? ", " : i === all.length - 2 ? " and " : ""}
                </span>
              ))}{" "}
            and restart; see <code>{README_SECTION}</code> (“Pull requests on GitHub”) for the App&apos;s permissions and events.
          </span>
        )}
        {github.invalid.length > 0 && (
          <span className="ml-2 text-red-700">
            {github.invalid.join(", ")} {github.invalid.length === 1 ? "is" : "are"} set but malformed (see the server&apos;s startup log).
          </span>
        )}
      </dd>
      <dt className="font-medium">Webhook URL</dt>
      <dd>
        <code className="select-all" data-testid="code-host-webhook-url">
          {webhookUrl}
        </code>{" "}
        <span className="text-xs text-slate-500">(the App&apos;s Webhook URL on GitHub; use the address GitHub reaches, NEXTAUTH_URL)</span>
      </dd>
      <dt className="font-medium">Webhook secret</dt>
      <dd>
        {github.webhookSecretSet ? (
          <>
            set{github.previousSecretSet && "; the previous secret is still accepted (GITHUB_WEBHOOK_SECRET_PREVIOUS, while rotating)"}
          </>
        ) : (
          <span className="text-amber-800">
            not set: every delivery is refused until <code>GITHUB_WEBHOOK_SECRET</code> holds the App&apos;s webhook secret
          </span>
        )}
      </dd>
      {!github.configured && (
        <>
          <dt className="font-medium">App manifest</dt>
          <dd>
            <details data-testid="code-host-manifest">
              <summary className="cursor-pointer text-slate-700">The App to create, with its permissions and events (GitHub → Settings → Developer settings → GitHub Apps)</summary>
              <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-2 text-xs select-all">{JSON.stringify(githubAppManifest(origin ?? "https://<flowgate>"), null, 2)}</pre>
            </details>
          </dd>
        </>
      )}
    </dl>
  );
}

function InstalledRepositories({ repositories, configured }: { repositories: CodeHostSettingsResponse["repositories"]; configured: boolean }) {
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">Repositories from installations</h3>
      {repositories.length === 0 ? (
        <p className="text-sm text-slate-600">
          {configured
            ? "None yet. Install the App on a repository (GitHub → the App → Install App); each installation registers its repositories here."
            : "None yet. Configure the GitHub App above, then install it on the repositories Flowgate should gate."}
        </p>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm" data-testid="code-host-repositories">
          {repositories.map((r) => (
            <li key={r.id} className={`flex flex-wrap items-center gap-3 px-3 py-2 ${r.removedAt ? "text-slate-400" : ""}`} data-testid="code-host-repository">
              <span className="font-medium">{r.name}</span>
              <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">{r.kind === "github" ? "GitHub" : "GitLab"}</span>
              {r.installationId && <span className="text-xs text-slate-500">installation {r.installationId}</span>}
              {r.removedAt && (
                <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-500" title="The installation lost access; its history stays, nothing new starts">
                  removed {new Date(r.removedAt).toLocaleString()}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RecentDeliveries({ deliveries }: { deliveries: CodeHostDeliveryView[] }) {
  const queryClient = useQueryClient();
  const redeliver = useMutation({
    mutationFn: (id: string) => postJson(`/api/v1/code-host/deliveries/${id}/redeliver`, {}),
    onSettled: () => queryClient.invalidateQueries({ queryKey: QUERY_KEY }),
  });
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">Recent deliveries</h3>
      {deliveries.length === 0 ? (
        <p className="text-sm text-slate-600">No deliveries yet. Install the App on a repository; its deliveries appear here.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">Received</th>
                <th className="px-3 py-2">Event</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Outcome</th>
                <th className="px-3 py-2">Delivery</th>
                <th className="px-3 py-2" />
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id} className="border-t border-slate-100 align-top" data-testid="code-host-delivery" data-status={d.status}>
                  <td className="whitespace-nowrap px-3 py-2 text-slate-600">{new Date(d.receivedAt).toLocaleString()}</td>
                  <td className="px-3 py-2">
                    {d.event}
                    {d.action && <span className="text-slate-500">.{d.action}</span>}
                    {d.host !== "github" && <span className="ml-1 text-xs text-slate-500">({d.host})</span>}
                  </td>
                  <td className="px-3 py-2">
                    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${deliveryTone[d.status] ?? deliveryTone.received}`}>{d.status}</span>
                  </td>
                  <td className={`px-3 py-2 text-xs ${d.status === "failed" ? "text-red-700" : "text-slate-600"}`}>
                    {d.outcome ?? (d.status === "received" ? "waiting for the runner" : "")}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs text-slate-500">{d.deliveryId}</td>
                  <td className="px-3 py-2 text-right">
                    {d.canRedeliver && (
                      <button
                        type="button"
                        onClick={() => redeliver.mutate(d.id)}
                        disabled={redeliver.isPending}
                        className="rounded-md border border-slate-300 px-2 py-1 text-xs hover:bg-slate-50"
                        data-testid="code-host-redeliver"
                      >
                        Redeliver
                      </button>
                    )}
                    {d.status === "failed" && !d.canRedeliver && <span className="text-xs text-slate-500">payload gone: redeliver from GitHub</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {redeliver.isError && <p className="mt-2 text-sm text-red-700">{redeliver.error.message}</p>}
    </div>
  );
}

function UnsentPublications({ publications }: { publications: CodeHostSettingsResponse["publications"] }) {
  const counts = Object.entries(publications.counts).filter(([, n]) => n > 0);
  return (
    <div>
      <h3 className="mb-2 text-sm font-semibold">Checks and comments on pull requests</h3>
      <p className="mb-2 flex flex-wrap gap-2 text-xs text-slate-600" data-testid="code-host-publication-counts">
        {counts.length === 0
          ? "Nothing published yet: checks and the comment are sent when a run of a pull request moves."
          : counts.map(([status, n]) => (
              <span key={status} className={`rounded px-1.5 py-0.5 ${publicationTone[status] ?? publicationTone.pending}`}>
                {n} {status}
              </span>
            ))}
      </p>
      {publications.problems.length === 0 ? (
        counts.length > 0 && <p className="text-sm text-slate-600">Nothing stuck: every check and comment was sent or replaced by a newer one.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase text-slate-500">
              <tr>
                <th className="px-3 py-2">Queued</th>
                <th className="px-3 py-2">Pull request</th>
                <th className="px-3 py-2">What</th>
                <th className="px-3 py-2">Status</th>
                <th className="px-3 py-2">Why</th>
              </tr>
            </thead>
            <tbody>
              {publications.problems.map((p) => (
                <tr key={p.id} className="border-t border-slate-100 align-top" data-testid="code-host-publication">
                  <td className="whitespace-nowrap px-3 py-2 text-slate-600">{new Date(p.createdAt).toLocaleString()}</td>
                  <td className="px-3 py-2">
                    <a href={`/runs/${p.runId}`} className="text-indigo-700 hover:underline">
                      {p.repository} #{p.pullRequest}
                    </a>
                  </td>
                  <td className="px-3 py-2">
                    {p.kind === "comment" ? "comment" : "check"} <span className="font-mono text-xs">{p.name}</span>
                  </td>
                  <td className="px-3 py-2">
                    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${publicationTone[p.status] ?? publicationTone.pending}`}>
                      {p.status === "pending" ? `retrying (${p.attempts} attempts)` : p.status}
                    </span>
                  </td>
                  <td className="px-3 py-2 text-xs text-red-700">{p.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
