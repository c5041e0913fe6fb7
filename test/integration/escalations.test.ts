import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import type { Actor } from "@/lib/auth/actor";
import type { Role } from "@/lib/auth/roles";
import { payloadOf } from "@/lib/audit/chain/event-payload";
import { verifyAuditChain } from "@/lib/audit/verify/verify-audit-chain";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { createPrismaClient } from "@/lib/db/client";
import type { ContextPackage } from "@/lib/escalations/context-package";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { listInbox, inboxFilterSchema } from "@/lib/escalations/inbox";
import { log } from "@/lib/log";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createUser } from "@/lib/users/create-user";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { evalDiff } from "../support/diffs";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { stageAgents } from "../support/stage-agents";

const system = { type: "system", id: "test", label: "test" } as const;
const quiet = log.child({ test: "escalations" });

const migrationDiff = `diff --git a/migrations/002_discounts.sql b/migrations/002_discounts.sql
new file mode 100644
--- /dev/null
+++ b/migrations/002_discounts.sql
@@ -0,0 +1 @@
+ALTER TABLE orders ADD COLUMN discount_cents integer NOT NULL DEFAULT 0;
`;

describe("deciding escalations", () => {
  let t: TestDatabase;
  let repoDir: string;
  const people = {} as Record<string, Actor>;
  let pr = 1;

  async function person(email: string, role: Role): Promise<Actor> {
    const user = await createUser(t.db, { input: { email, role, password: "a-long-password" }, actor: system });
    return { via: "session", user: { id: user.id, email: user.email, name: user.email, role } };
  }

  /** Submits a change by `author` and runs review on it, which escalates it. */
  async function escalated(diff: string, author = "dev@example.com") {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "demo", prNumber: pr++, title: "Change", author, baseSha: "a".repeat(40), headSha: `${pr}`.padStart(40, "e"), diff },
    });
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    return t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
  }

  const decide = (escalationId: string, actor: Actor, decision: "approve" | "reject" | "request_changes" = "approve") =>
    decideEscalation(t.db, { escalationId, actor, input: { decision, rationale: "Checked the change and the findings; the risk is understood." } });

  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-esc-"));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo", path: repoDir }, actor: system });
    people.reviewer = await person("rev1@example.com", "reviewer");
    people.reviewer2 = await person("rev2@example.com", "reviewer");
    people.admin = await person("boss@example.com", "admin");
    people.manager = await person("mgr@example.com", "manager");
    people.auditor = await person("aud@example.com", "auditor");
    people.authorReviewer = await person("author@example.com", "reviewer");
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  });

  it("builds a package with the rule, the threshold and the value, what was not checked, history and a labelled suggestion", async () => {
    await escalated(evalDiff, "hist@example.com");
    const escalation = await escalated(evalDiff, "hist@example.com");
    const pkg = escalation.contextPackage as unknown as ContextPackage;
    expect(pkg.reasons[0]).toMatchObject({ code: "high_risk", label: "risk 8 ≥ 7", value: 8, threshold: 7 });
    expect(escalation.reasonLabels).toEqual(["risk 8 ≥ 7"]);
    expect(pkg.change.files).toEqual([{ path: "src/reports.ts", status: "added", additions: 3, deletions: 0, binary: false }]);
    expect(pkg.notChecked).toEqual(expect.arrayContaining([expect.stringMatching(/^Not run yet: test, staging, validation, deployment/), expect.stringMatching(/No LLM is configured/)]));
    expect(pkg.history.authorRecentRuns).toHaveLength(1);
    expect(pkg.history.sameFiles.map((r) => r.files)).toEqual([["src/reports.ts"]]);
    expect(pkg.findings[0]).toMatchObject({ agent: "review", provider: "heuristic", riskScore: 8 });
  });

  it.each([
    ["an API break", `diff --git a/src/api.ts b/src/api.ts
--- a/src/api.ts
+++ b/src/api.ts
@@ -1,3 +1 @@
-export function getOrder(id: string) {
-  return id;
-}
+// getOrder was removed
`, ["api_break"]],
    ["a schema change", migrationDiff, ["schema_change"]],
  ])("builds the package for %s with its reason and the findings behind it", async (_label, diff, codes) => {
    const escalation = await escalated(diff);
    const pkg = escalation.contextPackage as unknown as ContextPackage;
    expect(pkg.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(codes));
    const review = (pkg.findings[0].output as { review: Record<string, { file: string }[]> }).review;
    const cited = [...review.security_issues, ...review.api_breaking_changes].map((f) => f.file);
    expect(cited).toContain(pkg.change.files[0].path);
  });

  it("builds the package for an agent error: no findings, and says what was not checked", async () => {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "demo", prNumber: pr++, title: "Change", author: "dev@example.com", baseSha: "a".repeat(40), headSha: `${pr}`.padStart(40, "f"), diff: evalDiff },
    });
    const broken = { stage: "review" as const, run: async () => Promise.reject(new Error("model unavailable")) };
    for (const attempt of [1, 2, 3]) {
      await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: broken }), retry: { baseDelayMs: 1 } }, { runId: run.id, stage: "review", attempt });
    }
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId: run.id } });
    const pkg = escalation.contextPackage as unknown as ContextPackage;
    expect(pkg.reasons).toEqual([expect.objectContaining({ code: "agent_error", label: "agent error", value: 3, threshold: 3 })]);
    expect(pkg.reasons[0].detail).toContain("model unavailable");
    expect(pkg.findings).toEqual([]);
    expect(pkg.notChecked[0]).toMatch(/^Not run yet: test/);
    expect(pkg.suggestion).toBeNull();
  });

  it.each(["manager", "auditor"])("refuses a %s", async (who) => {
    const escalation = await escalated(evalDiff);
    await expect(decide(escalation.id, people[who])).rejects.toMatchObject({ kind: "forbidden" });
  });

  it("refuses the pull request's author, in a session and through their API token", async () => {
    const escalation = await escalated(evalDiff, "author@example.com");
    await expect(decide(escalation.id, people.authorReviewer)).rejects.toMatchObject({ kind: "forbidden", message: expect.stringMatching(/author/) });
    const viaToken: Actor = { ...people.authorReviewer, via: "token", tokenId: "t1", scopes: ["escalations:decide"] };
    await expect(decide(escalation.id, viaToken)).rejects.toMatchObject({ kind: "forbidden" });
    expect((await t.db.escalation.findUniqueOrThrow({ where: { id: escalation.id } })).status).toBe("open");
  });

  it.each(["", "ok", "approved!!!!!!!!!!!!!!!!!!"])("requires a rationale of at least a sentence (%j)", async (rationale) => {
    const escalation = await escalated(evalDiff);
    await expect(decideEscalation(t.db, { escalationId: escalation.id, actor: people.reviewer, input: { decision: "approve", rationale } })).rejects.toThrow();
    expect(await t.db.escalationDecision.count({ where: { escalationId: escalation.id } })).toBe(0);
  });

  it("continues the run from where it stopped on approval, and audits the decision with the package hash", async () => {
    const escalation = await escalated(evalDiff);
    const result = await decide(escalation.id, people.reviewer);
    expect(result).toMatchObject({ status: "approved", approvals: 1, requiredApprovals: 1, run: { status: "queued", currentStage: "test" } });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { runId: escalation.runId, action: "escalation.decided" } });
    expect(payloadOf(event.content)).toMatchObject({ decision: "approve", decidedBy: "rev1@example.com", contextHash: escalation.contextHash });
    expect(event.actorId).toBe(people.reviewer.user.id);
  });

  it.each([
    ["reject", "rejected"],
    ["request_changes", "changes_requested"],
  ] as const)("ends the run on %s", async (decision, status) => {
    const escalation = await escalated(evalDiff);
    const result = await decide(escalation.id, people.reviewer, decision);
    expect(result.run.status).toBe(status);
    expect((await t.db.pipelineRun.findUniqueOrThrow({ where: { id: escalation.runId } })).finishedAt).not.toBeNull();
  });

  it("needs two different approvers for a schema change", async () => {
    const escalation = await escalated(migrationDiff);
    expect(escalation.reasons).toContain("schema_change");
    const first = await decide(escalation.id, people.reviewer);
    expect(first).toMatchObject({ status: "open", approvals: 1, requiredApprovals: 2, run: { status: "escalated" } });
    // The answer names the run; it does not carry the run's row (its diff, its policy).
    expect(Object.keys(first.run).sort()).toEqual(["currentStage", "id", "status"]);
    await expect(decide(escalation.id, people.reviewer)).rejects.toMatchObject({ kind: "conflict", message: expect.stringMatching(/second, different reviewer/) });
    expect(await decide(escalation.id, people.reviewer2)).toMatchObject({ status: "approved", approvals: 2, run: { status: "queued", currentStage: "test" } });
  });

  it("lets exactly one of many simultaneous deciders win; the others are told who decided", async () => {
    const escalation = await escalated(evalDiff);
    const deciders = await Promise.all(Array.from({ length: 6 }, (_, i) => person(`racer${i}@example.com`, "reviewer")));
    const clients = deciders.map(() => createPrismaClient(t.url));
    const results = await Promise.allSettled(
      deciders.map((actor, i) =>
        decideEscalation(clients[i], { escalationId: escalation.id, actor, input: { decision: "approve", rationale: "Racing to approve this change after reading it." } }),
      ),
    );
    await Promise.all(clients.map((c) => c.$disconnect()));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(5);
    for (const loss of lost) expect(loss.reason).toMatchObject({ kind: "conflict", message: expect.stringMatching(/already decided \(approved\) by racer\d@example\.com/) });
    // The run moved on exactly once.
    expect(await t.db.stageRun.count({ where: { runId: escalation.runId, stage: "test" } })).toBe(1);
    expect(await t.db.auditEvent.count({ where: { runId: escalation.runId, action: "escalation.decided" } })).toBe(1);
  });

  it("lists the inbox oldest-due first with counts per reason and filters", async () => {
    const inbox = await listInbox(t.db, { filter: inboxFilterSchema.parse({}), userId: people.reviewer.user.id });
    const due = inbox.items.map((i) => i.dueAt);
    expect(due).toEqual([...due].sort());
    expect(inbox.counts.high_risk).toBeGreaterThan(0);
    const schemaOnly = await listInbox(t.db, { filter: inboxFilterSchema.parse({ reason: "schema_change" }), userId: people.reviewer.user.id });
    expect(schemaOnly.items.every((i) => i.reasons.includes("schema_change"))).toBe(true);
    const later = await listInbox(t.db, { filter: inboxFilterSchema.parse({ overdue: "true" }), userId: people.reviewer.user.id, now: new Date(Date.now() + 30 * 86_400_000) });
    expect(later.items.length).toBe(inbox.items.length);
    expect(later.items.every((i) => i.overdue)).toBe(true);
  });

  it("leaves an unbroken audit chain", async () => {
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});
