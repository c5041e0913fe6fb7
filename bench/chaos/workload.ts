/**
 * The soak's traffic, through the public API as clients send it: pull requests at a steady rate
 * (the demo's twelve branches in turn, so every kind of outcome keeps happening, and now and then
 * a new head for a PR still in flight, which supersedes its run; and a new head for a PR whose
 * canary is live, which must roll that canary back), and escalations decided by API clients of
 * three different people racing each other on the same escalation.
 *
 * Clients retry what failed ambiguously (a connection cut, a 5xx while the web server or the
 * database restarts), as real clients do: intake is idempotent for the same PR and head, and a
 * decision that already happened answers 409. What each call returned is kept for the invariants.
 */
import { demoBranches } from "../../scripts/lib/demo-repository";

export interface Submission {
  prNumber: number;
  branch: string;
  runId: string;
  /** A later submission of the same PR with another head: this run should be superseded. */
  supersededLater: boolean;
  /** That later head came while this run was at its deployment stage (its canary, likely live). */
  supersededAtDeployment?: boolean;
}

export interface DecisionAttempt {
  client: string;
  status: number;
  /** The call was sent again after a cut or a 5xx: an earlier send may have been the one that decided. */
  retried: boolean;
}

export interface WorkloadRecord {
  submissions: Submission[];
  /** Calls that never got an answer before the soak ended (counted, not failures). */
  unanswered: number;
  /** Every answered call per escalation id, in order, final answers only (after retries). */
  decisions: Map<string, DecisionAttempt[]>;
  /** HTTP calls retried because of a cut connection or a 5xx. */
  retries: number;
}

interface Client {
  name: string;
  token: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One API call, retried until it gets an answer that is not a 5xx (or `deadline` passes): the
 * web server may be down for a few seconds, and the database behind it may be restarting.
 */
async function call(baseUrl: string, client: Client, method: string, pathname: string, body: unknown, record: WorkloadRecord, deadline: number): Promise<{ status: number; json: unknown; retried: boolean } | null> {
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    try {
      const response = await fetch(`${baseUrl}${pathname}`, {
        method,
        headers: { authorization: `Bearer ${client.token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = await response.json().catch(() => null);
      if (response.status < 500) return { status: response.status, json, retried: attempt > 0 };
    } catch {
      // Connection refused or cut: the web server is being restarted.
    }
    record.retries++;
    await sleep(Math.min(250 * 2 ** attempt, 3000));
  }
  return null;
}

export interface Workload {
  record: WorkloadRecord;
  /** Stops submitting; deciders keep deciding until `stopDeciding`. */
  stopSubmitting(): Promise<void>;
  stopDeciding(): Promise<void>;
}

export function startWorkload(options: {
  baseUrl: string;
  repository: string;
  submitter: Client;
  deciders: Client[];
  submitEveryMs: number;
  supersedeShare: number;
  /** Share of runs seen at their deployment stage that get a new head there. */
  canarySupersedeShare: number;
  log: (line: string) => void;
}): Workload {
  const record: WorkloadRecord = { submissions: [], unanswered: 0, decisions: new Map(), retries: 0 };
  let submitting = true;
  let deciding = true;
  let prNumber = 1000;
  let kind = 0;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(promise: Promise<T>) => {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise));
    return promise;
  };

  const submit = async (number: number, branch: string) => {
    const body = { repository: options.repository, prNumber: number, title: `chaos ${branch}`, author: "chaos-author@example.com", baseRef: "main", headRef: branch };
    const answer = await call(options.baseUrl, options.submitter, "POST", "/api/v1/runs", body, record, Date.now() + 120_000);
    if (!answer) return void record.unanswered++;
    if (answer.status !== 200 && answer.status !== 201) {
      options.log(`submission of PR ${number} (${branch}) answered ${answer.status}: ${JSON.stringify(answer.json).slice(0, 300)}`);
      return;
    }
    const run = (answer.json as { run: { id: string } }).run;
    record.submissions.push({ prNumber: number, branch, runId: run.id, supersededLater: false });
    return run.id;
  };

  const submitter = (async () => {
    while (submitting) {
      const branch = demoBranches[kind++ % demoBranches.length].name;
      const number = prNumber++;
      track(
        (async () => {
          await submit(number, branch);
          // A new head for the same pull request while its run is (likely) still in flight.
          if (Math.random() < options.supersedeShare) {
            await sleep(500 + Math.random() * 3000);
            const first = record.submissions.find((s) => s.prNumber === number);
            const other = demoBranches[(demoBranches.findIndex((b) => b.name === branch) + 1 + Math.floor(Math.random() * 10)) % demoBranches.length].name;
            if (first && (await submit(number, other))) first.supersededLater = true;
          }
        })(),
      );
      await sleep(options.submitEveryMs);
    }
  })();

  // A new head for a PR whose run is at its deployment stage: its canary (live, or left live by a
  // killed runner) must be rolled back, never promoted nor left at its weight.
  const seenAtDeployment = new Set<string>();
  const canarySuperseder = (async () => {
    while (submitting) {
      await sleep(1500);
      const answer = await call(options.baseUrl, options.submitter, "GET", `/api/v1/runs?repository=${options.repository}&status=active`, undefined, record, Date.now() + 10_000);
      if (answer && answer.status !== 200) {
        options.log(`reading the board answered ${answer.status}: no supersedes at the deployment stage (${JSON.stringify(answer.json).slice(0, 200)})`);
        continue;
      }
      const cards = (answer?.json as { cards?: { id: string; currentStage: string | null; pullRequest: { number: number } }[] } | null)?.cards ?? [];
      for (const card of cards) {
        if (card.currentStage !== "deployment" || seenAtDeployment.has(card.id)) continue;
        seenAtDeployment.add(card.id);
        const first = record.submissions.find((s) => s.runId === card.id);
        if (!first || first.supersededLater || Math.random() >= options.canarySupersedeShare) continue;
        const other = demoBranches[(demoBranches.findIndex((b) => b.name === first.branch) + 1) % demoBranches.length].name;
        track(
          (async () => {
            await sleep(Math.random() * 2000);
            if (await submit(card.pullRequest.number, other)) Object.assign(first, { supersededLater: true, supersededAtDeployment: true });
          })(),
        );
      }
    }
  })();

  // Each open escalation is decided once by all deciders at the same moment, each deciding the
  // same way (approve or reject, chosen per escalation), so exactly the policy's number of
  // approvals (one, or two for a schema change) can succeed and every other call must get 409.
  const raced = new Set<string>();
  const decider = (async () => {
    while (deciding) {
      const answer = await call(options.baseUrl, options.deciders[0], "GET", `/api/v1/escalations?repository=${options.repository}&limit=500`, undefined, record, Date.now() + 10_000);
      const items = ((answer?.json as { items?: { id: string }[] } | null)?.items ?? []) as { id: string }[];
      for (const item of items) {
        if (raced.has(item.id)) continue;
        raced.add(item.id);
        const decision = Math.random() < 0.6 ? "approve" : "reject";
        const rationale = `Chaos soak decision: ${decision} after a look at the context package.`;
        track(
          Promise.all(
            options.deciders.map(async (client) => {
              const result = await call(options.baseUrl, client, "POST", `/api/v1/escalations/${item.id}/decision`, { decision, rationale }, record, Date.now() + 120_000);
              if (!result) return void record.unanswered++;
              const list = record.decisions.get(item.id) ?? [];
              list.push({ client: client.name, status: result.status, retried: result.retried });
              record.decisions.set(item.id, list);
            }),
          ),
        );
      }
      await sleep(1000);
    }
  })();

  return {
    record,
    async stopSubmitting() {
      submitting = false;
      await Promise.all([submitter, canarySuperseder]);
    },
    async stopDeciding() {
      deciding = false;
      await decider;
      await Promise.all([...inFlight]);
    },
  };
}
