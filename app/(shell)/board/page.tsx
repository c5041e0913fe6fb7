import { Code, EmptyState, NotAllowed, PageHeader } from "@/components/ui/empty-state";
import { requirePageAccess } from "@/lib/auth/page-access";
import { appPage } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";

export const dynamic = "force-dynamic";
const page = appPage("/board");

export default async function BoardPage() {
  const { user, allowed } = await requirePageAccess(page);
  if (!allowed) return <NotAllowed page={page.label} role={user.role} />;
  const activeRuns = await db().pipelineRun.count();
  return (
    <>
      <PageHeader title="Board" description="Every active pull request, by pipeline stage." />
      {activeRuns === 0 ? (
        <EmptyState title="No runs yet">
          Pull requests appear here as soon as they are submitted: with an API token that has the{" "}
          <Code>runs:write</Code> scope through <Code>POST /api/v1/runs</Code>, or from a local git repository with{" "}
          <Code>npm run ctl -- submit --repo &lt;path&gt; --base main --head &lt;branch&gt;</Code>.
        </EmptyState>
      ) : (
        <p className="text-sm text-slate-600">{activeRuns} runs recorded.</p>
      )}
    </>
  );
}
