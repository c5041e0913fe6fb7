import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStageJob } from "@/agents/engine/run-stage-job";
import { createReviewAgent } from "@/agents/review/review-agent";
import { createPdfReport, pdfReportQuerySchema } from "@/lib/audit/export/export-report";
import { loadPeriodSummary } from "@/lib/audit/reports/period-summary";
import { printable } from "@/lib/audit/reports/report-pdf";
import type { Actor } from "@/lib/auth/actor";
import { ensureDefaultPolicy } from "@/lib/policy/ensure-default-policy";
import { decideEscalation } from "@/lib/escalations/decide-escalation";
import { DomainError } from "@/lib/errors";
import { log } from "@/lib/log";
import { registerRepository } from "@/lib/repositories/register-repository";
import { submitRun } from "@/lib/runs/submit-run";
import { createUser } from "@/lib/users/create-user";
import { createDemoRepository } from "@/scripts/lib/demo-repository";
import { editEventSql } from "../support/audit-chain";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { cleanDiff, evalDiff } from "../support/diffs";
import { pdfPageTexts } from "../support/pdf-text";
import { stageAgents } from "../support/stage-agents";


const auditor = { type: "user", id: "u-auditor", label: "auditor@example.com" } as const;
const system = { type: "system", id: "test", label: "test intake" } as const;
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** A report's text as one line: a phrase wrapped inside a table cell reads as it was written. */
const flat = (pages: string[]) => pages.join("\n").replace(/\s+/g, " ");

/** Every page of a report says "Page i of N" and carries the same checkpoint line. */
function expectFramedPages(pages: string[], checkpoint: string) {
  expect(pages.length).toBeGreaterThan(0);
  pages.forEach((page, i) => {
    expect(page).toContain(`Page ${i + 1} of ${pages.length}`);
    expect(page).toContain(checkpoint);
    expect(page).toMatch(/Generated at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/);
  });
}

describe("PDF reports from a seeded database", () => {
  let t: TestDatabase;
  let repoDir: string;
  let reviewer: Actor;
  const runs = {} as Record<"approved" | "passed" | "rejected", string>;
  let periodStart: string;
  const quiet = log.child({ test: "audit-reports" });

  async function submitAndReview(prNumber: number, title: string, diff: string) {
    const { run } = await submitRun(t.db, {
      actor: system,
      input: { repository: "demo", prNumber, title, author: "Dev@Example.com", baseSha: "a".repeat(40), headSha: `${prNumber}`.padStart(40, "e"), diff },
    });
    await runStageJob({ db: t.db, log: quiet, agents: stageAgents({ review: createReviewAgent(null) }) }, { runId: run.id, stage: "review", attempt: 1 });
    return run.id;
  }

  async function decide(runId: string, decision: "approve" | "reject", rationale: string) {
    const escalation = await t.db.escalation.findFirstOrThrow({ where: { runId } });
    await decideEscalation(t.db, { escalationId: escalation.id, actor: reviewer, input: { decision, rationale } });
  }

  async function chainHead() {
    const [head] = await t.sql<{ sequence: string; hash: string }>(`SELECT sequence::text, hash FROM "AuditEvent" e ORDER BY e.sequence DESC LIMIT 1`);
    return head;
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    periodStart = new Date(Date.now() - 1000).toISOString();
    await ensureDefaultPolicy(t.db);
    repoDir = fs.mkdtempSync(path.join(os.tmpdir(), "flowgate-reports-"));
    await createDemoRepository(repoDir);
    await registerRepository(t.db, { input: { name: "demo", path: repoDir }, actor: system });
    const user = await createUser(t.db, { input: { email: "rev1@example.com", role: "reviewer", password: "a-long-password" }, actor: system });
    reviewer = { via: "session", user: { id: user.id, email: user.email, name: user.email, role: "reviewer" } };

    runs.approved = await submitAndReview(1, "Evaluate report expressions", evalDiff);
    await decide(runs.approved, "approve", "Read the eval call; it only runs trusted report expressions.");
    runs.passed = await submitAndReview(2, "Fix rounding in totals", cleanDiff);
    runs.rejected = await submitAndReview(3, "Run expressions from the query string", evalDiff);
    await decide(runs.rejected, "reject", "User input reaches eval; this cannot ship.");
    // A production deployment of the passed change that was rolled back by its canary.
    await t.db.deployment.create({
      data: { runId: runs.passed, environment: "production", strategy: "canary", target: "simulated", status: "rolled_back", trafficPercent: 5, finishedAt: new Date(), rollbackReason: "canary error rate 1.2% > 0.5%" },
    });
  });
  afterAll(async () => {
    await t?.drop();
    fs.rmSync(repoDir, { recursive: true, force: true });
  });

  it("writes the decision report of a change: request, decisions, the approver not being the author, events, checkpoint and page numbers on every page", async () => {
    const head = await chainHead();
    const report = await createPdfReport(t.db, { format: "pdf", runId: runs.approved }, auditor, { databaseUrl: t.url });
    expect(report.bytes.subarray(0, 5).toString()).toBe("%PDF-");
    const pages = pdfPageTexts(report.bytes);
    const text = flat(pages);
    expect(pages.length).toBeGreaterThan(1);
    expectFramedPages(pages, `Chain verified through sequence ${head.sequence}, head hash ${head.hash}`);
    expect(report.checkpoint).toEqual({ sequence: head.sequence, hash: head.hash, ok: true });

    expect(text).toContain("Decision report: demo #1");
    expect(text).toContain("Evaluate report expressions");
    expect(text).toContain("Dev@Example.com");
    expect(text).toMatch(/Provider and model\s*heuristic \(no model: rule-based heuristic\)/);
    expect(text).toContain(printable("risk 8 ≥ 7"));
    expect(text).toContain("rev1@example.com");
    expect(text).toContain("Read the eval call; it only runs trusted report expressions.");
    expect(text).toContain("yes: rev1@example.com vs author Dev@Example.com");
    expect(text).toContain("Saw the stored context package.");
    for (const heading of ["4. Tests", "5. Staging", "6. Validation", "7. Deployment"]) expect(text).toContain(heading);
    expect(text).toContain("8. Rollback and incident report none: nothing was deployed");
    expect(text).toContain("Each of the 4 events matches its hash and links to the event before it.");
    const actions = await t.sql<{ sequence: string; action: string }>(`SELECT sequence::text, action FROM "AuditEvent" e WHERE "runId" = $1 ORDER BY e.sequence`, [runs.approved]);
    for (const event of actions) expect(text).toMatch(new RegExp(` ${event.sequence} \\d{4}-\\d\\d-\\d\\d [\\d:]+ UTC [^#]+ ${event.action.replace(".", "\\.")} [0-9a-f]{16}`));

    const [exported] = await t.sql<{ sequence: string; actorId: string; subjectId: string; payload: Record<string, unknown> }>(
      `SELECT sequence::text, "actorId", "subjectId", content::jsonb -> 'payload' AS payload FROM "AuditEvent" e WHERE action = 'audit.exported' ORDER BY e.sequence DESC LIMIT 1`,
    );
    expect(BigInt(exported.sequence)).toBe(BigInt(head.sequence) + 1n);
    expect(exported).toMatchObject({
      actorId: auditor.id,
      subjectId: runs.approved,
      payload: { format: "pdf", report: "decision_report", sha256: sha256(report.bytes), checkpoint: { sequence: head.sequence, hash: head.hash } },
    });
  });

  it("summarises a period: each change and how it was approved, exceptions, rollbacks and the chain", async () => {
    const to = new Date(Date.now() + 1000).toISOString();
    const summary = await loadPeriodSummary(t.db, { from: periodStart, to });
    expect(summary.counts).toEqual({ changes: 3, approvedByAgent: 1, approvedByPeople: 1, notApproved: 1, escalations: 2, overrides: summary.counts.overrides, rollbacks: 1 });
    const approval = Object.fromEntries(summary.changes.map((c) => [c.runId, c.approval]));
    expect(approval[runs.approved]).toEqual({ by: "people", summary: "approved by rev1@example.com", approvers: ["rev1@example.com"] });
    expect(approval[runs.passed]).toMatchObject({ by: "agent", summary: expect.stringMatching(/^review agent passed it \(heuristic, risk \d+\)$/) });
    expect(approval[runs.rejected]).toEqual({ by: "none", summary: "rejected by rev1@example.com (reject)", approvers: [] });
    // An override is a decision against the suggestion stored in the package the person saw.
    const packages = await t.db.escalation.findMany({ where: { runId: { in: [runs.approved, runs.rejected] } }, include: { decisions: true } });
    const expectedOverrides = packages.filter((e) => {
      const suggested = (e.contextPackage as { suggestion?: { decision?: string } }).suggestion?.decision;
      return e.decisions.some((d) => suggested && d.decision !== suggested);
    }).length;
    expect(summary.counts.overrides).toBe(expectedOverrides);

    const head = await chainHead();
    const report = await createPdfReport(t.db, { format: "pdf", from: periodStart, to }, auditor, { databaseUrl: t.url });
    const pages = pdfPageTexts(report.bytes);
    const text = flat(pages);
    expectFramedPages(pages, `Chain verified through sequence ${head.sequence}, head hash ${head.hash}`);
    expect(text).toContain("Change summary");
    for (const title of ["Evaluate report expressions", "Fix rounding in totals", "Run expressions from the query string"]) expect(text).toContain(title);
    expect(text).toContain("People: approved by rev1@example.com");
    expect(text).toMatch(/Agent: review agent passed it \(heuristic, risk \d+\)/);
    expect(text).toContain("None: rejected by rev1@example.com (reject)");
    expect(text).toContain("production deployment rolled back: canary error rate 1.2% > 0.5%");
    expect(text).toMatch(/Result\s*verified/);
    if (expectedOverrides > 0) expect(text).toContain("against the agent's suggestion");
    const [exported] = await t.sql<{ payload: Record<string, unknown> }>(`SELECT content::jsonb -> 'payload' AS payload FROM "AuditEvent" WHERE action = 'audit.exported' ORDER BY sequence DESC LIMIT 1`);
    expect(exported.payload).toMatchObject({ report: "period_summary", filter: { from: periodStart, to, runIds: null }, sha256: sha256(report.bytes) });
  });

  it("says so when a period holds no change", async () => {
    const report = await createPdfReport(t.db, { format: "pdf", from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z" }, auditor);
    const text = flat(pdfPageTexts(report.bytes));
    expect(text).toContain("No change was submitted in this period.");
    expect(text).toContain("Page 1 of 1");
  });

  it.each([
    ["a run and a period at once", { format: "pdf", runId: "r", from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" }, ["runId"]],
    ["neither a run nor a period", { format: "pdf" }, ["from", "to"]],
    ["a period that ends before it starts", { format: "pdf", from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, ["to"]],
    ["a time without an offset", { format: "pdf", from: "2026-01-01 00:00", to: "2026-02-01T00:00:00Z" }, ["from"]],
  ])("refuses %s, naming the fields", (_name, query, paths) => {
    const result = pdfReportQuerySchema.safeParse(query);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join(".")).sort()).toEqual(paths);
  });

  it("is a not-found error for a run that does not exist, and records no export", async () => {
    const before = await t.db.auditEvent.count();
    await expect(createPdfReport(t.db, { format: "pdf", runId: "no-such-run" }, auditor)).rejects.toMatchObject(new DomainError("not_found", "No run no-such-run"));
    expect(await t.db.auditEvent.count()).toBe(before);
  });

  it("prints a broken chain on every page of the report", async () => {
    await t.sql(`ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only"`);
    const [last] = await t.sql<{ sequence: string }>(`SELECT max(sequence)::text AS sequence FROM "AuditEvent"`);
    await t.sql(editEventSql(Number(last.sequence), "actorLabel", `"someone else"`));
    await t.sql(`ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only"`);
    const head = await chainHead();
    const report = await createPdfReport(t.db, { format: "pdf", runId: runs.passed }, auditor, { databaseUrl: t.url });
    const pages = pdfPageTexts(report.bytes);
    for (const page of pages) expect(page).toContain(`CHAIN BROKEN at sequence ${head.sequence}`);
    expect(report.checkpoint.ok).toBe(false);
  });
});
