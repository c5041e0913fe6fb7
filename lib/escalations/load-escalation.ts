import type { Db } from "../db/client";
import { DomainError } from "../errors";
import type { Json } from "../json";
import type { PolicyRules } from "../policy/policy-rules";
import type { StoredContextPackage } from "./context-package";

/** One escalation with its stored context package, its decisions and the run's current state. */
export async function loadEscalationOrThrow(db: Db, escalationId: string) {
  const escalation = await db.escalation.findUnique({
    where: { id: escalationId },
    include: {
      assignee: { select: { id: true, email: true, name: true } },
      decisions: { orderBy: { createdAt: "asc" }, include: { user: { select: { id: true, email: true, name: true } } } },
      run: {
        select: {
          id: true,
          status: true,
          currentStage: true,
          riskScore: true,
          headSha: true,
          baseSha: true,
          policy: { select: { version: true, rules: true } },
          pullRequest: { select: { number: true, title: true, description: true, author: true, repository: { select: { name: true } } } },
        },
      },
    },
  });
  if (!escalation) throw new DomainError("not_found", `No escalation ${escalationId}`);
  return escalation;
}

type LoadedEscalation = Awaited<ReturnType<typeof loadEscalationOrThrow>>;

/**
 * GET /api/v1/escalations/{id}'s `escalation` as the browser receives it, its stored JSON typed as
 * its readers see it: the context package (StoredContextPackage) and the policy's rules, of which
 * the page reads the escalation section (absent from policies made before it existed).
 */
export type EscalationDetail = Json<
  Omit<LoadedEscalation, "contextPackage" | "run"> & {
    contextPackage: StoredContextPackage;
    run: Omit<LoadedEscalation["run"], "policy"> & {
      policy: Omit<LoadedEscalation["run"]["policy"], "rules"> & { rules: { escalation?: Partial<PolicyRules["escalation"]> } & Record<string, unknown> };
    };
  }
>;
