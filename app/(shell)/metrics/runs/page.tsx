import Link from "next/link";
import { formatHours } from "@/components/metrics/format";
import { filtersFromParams, metricsParams } from "@/components/metrics/params";
import { EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { statusTone } from "@/components/ui/format";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { drillDown, drillDownSchema } from "@/lib/metrics/drill-down";
import { metricsQueryFromParams, resolveFilters, resolveWindow } from "@/lib/metrics/window";

export const dynamic = "force-dynamic";
const page = appPage("/metrics");

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/** The runs behind one number of the metrics page, with the page's filters. */
export default async function MetricsRunsPage({ searchParams }: { searchParams: SearchParams }) {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const raw = await searchParams;
  const one = (key: string) => (typeof raw[key] === "string" && raw[key] !== "" ? (raw[key] as string) : undefined);
  const filters = filtersFromParams(one);
  const back = `/metrics${metricsParams(filters).size ? `?${metricsParams(filters)}` : ""}`;
  let result;
  try {
    const query = metricsQueryFromParams(metricsParams(filters));
    const selection = drillDownSchema.parse({ set: one("set"), bucket: one("bucket"), stage: one("stage"), reason: one("reason"), limit: 200 });
    result = await drillDown(db(), resolveWindow(query), resolveFilters(query), selection);
  } catch {
    return (
      <>
        <PageHeader title="Runs behind a number" />
        <EmptyState title="This list does not exist">
          The address names a set, bucket or filter Flowgate does not know. <Link href={back} className="text-indigo-700 underline">Back to the metrics</Link>.
        </EmptyState>
      </>
    );
  }
  const scope = [one("bucket") && `${filters.bucket === "day" ? "day" : "bucket"} starting ${one("bucket")}`, one("stage") && `stage ${one("stage")}`, one("reason") && `reason ${one("reason")}`, filters.repository && `repository ${filters.repository}`, filters.team && `team ${filters.team}`]
    .filter(Boolean)
    .join(", ");
  return (
    <>
      <PageHeader title={result.title} description={`${result.total} in the period${scope ? ` (${scope})` : ""}, newest first${result.total > result.items.length ? `; the first ${result.items.length} are listed` : ""}.`} />
      <p className="mb-4 text-sm">
        <Link href={back} className="text-indigo-700 hover:underline">
          ← Back to the metrics
        </Link>
      </p>
      {result.items.length === 0 ? (
        <EmptyState title="No runs">Nothing in this set for the period and filters.</EmptyState>
      ) : (
        <table className="w-full rounded-lg bg-white text-left text-sm shadow-sm" data-testid="drill-down">
          <thead className="text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-3 py-2 font-medium">When (UTC)</th>
              <th className="px-3 py-2 font-medium">Pull request</th>
              <th className="px-3 py-2 font-medium">Team</th>
              <th className="px-3 py-2 font-medium">Why it counts</th>
              <th className="px-3 py-2 text-right font-medium">{result.hoursMeaning ?? ""}</th>
              <th className="px-3 py-2 font-medium">Run</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {result.items.map((item, index) => (
              <tr key={`${item.runId}-${index}`} data-testid="drill-down-row">
                <td className="whitespace-nowrap px-3 py-2 text-slate-600">{item.at.slice(0, 16).replace("T", " ")}</td>
                <td className="px-3 py-2">
                  <Link href={`/runs/${item.runId}`} className="font-medium text-slate-900 hover:text-indigo-700">
                    {item.repository} #{item.pullRequest.number} {item.pullRequest.title}
                  </Link>
                  <span className="block text-xs text-slate-500">{item.pullRequest.author}</span>
                </td>
                <td className="px-3 py-2 text-slate-600">{item.team}</td>
                <td className="px-3 py-2 text-slate-700">{item.detail.replaceAll("_", " ")}</td>
                <td className="px-3 py-2 text-right tabular-nums">{item.hours === null ? "–" : formatHours(item.hours)}</td>
                <td className="px-3 py-2">
                  <span className={`rounded px-1.5 py-0.5 text-xs ${statusTone[item.runStatus] ?? statusTone.queued}`}>{item.runStatus.replace("_", " ")}</span>
                  {item.simulated && <span className="ml-1 rounded bg-violet-100 px-1.5 py-0.5 text-xs text-violet-800">simulated</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
