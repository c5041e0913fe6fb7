import Link from "next/link";
import { ChangeRecordView } from "@/components/audit/change-record-view";
import { EmptyState, NotAllowed } from "@/components/ui/empty-state";
import { loadChangeRecord } from "@/lib/audit/reports/change-record";
import { requirePageAccess } from "@/lib/auth/page-access";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";

export const dynamic = "force-dynamic";

/** Built on the server at request time: the chain status it shows is the one at viewing time. */
export default async function ChangeRecordPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const { user, allowed } = await requirePageAccess({ href: `/audit/changes/${runId}`, label: "Audit", permission: "audit:read" });
  if (!allowed) return <NotAllowed page="Audit" role={user.role} />;
  const record = await loadChangeRecord(db(), runId, { databaseUrl: env().DATABASE_URL });
  if (!record) {
    return (
      <EmptyState title="No such run">
        There is no run <code className="font-mono">{runId}</code>. Find runs by searching the{" "}
        <Link href="/audit" className="text-indigo-700 hover:underline">
          audit log
        </Link>
        .
      </EmptyState>
    );
  }
  return <ChangeRecordView record={record} />;
}
