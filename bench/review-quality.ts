/**
 * How well the review gate holds on code nobody here wrote: the labelled corpus of real patches
 * (test/fixtures/review-corpus/), each reviewed by the rules floor under the default policy, as a
 * run without an LLM would be.
 *
 * Prints, beside a baseline measured in the same run (the line rules alone, as the floor was before
 * the engines), twice (from the diff alone, as a review without a readable repository does; and
 * with the changed files' whole base and head versions, where the corpus has them, as a review of a
 * registered or code-host repository does), for the authoring half and the held-out half apiece: recall (must-escalate cases that
 * escalated), how many of those escalated for the right reason, the false-escalation rate of benign
 * cases, the same per category and per language, and each miss and false escalation by name.
 *
 *   node --import tsx bench/review-quality.ts [--names authoring|held-out|all] [--blind] [--json] [--llm]
 *
 * --names limits the list of misses to one half (while writing rules, read only the authoring
 * half's); --blind prints the held-out half as its overall figures alone (no categories, languages
 * or names, which on a few cases each would hint at which ones missed), and implies
 * --names authoring: the mode to write rules in. --json prints the figures as JSON
 * (test/unit/review-corpus.test.ts pins them).
 *
 * --llm measures the whole review instead: the floor and, above it, the LLM the environment
 * configures (ANTHROPIC_API_KEY, as the runner reads it), each case reviewed as the review agent
 * reviews it (reviewChange), several at once. A case whose model call failed is left out of the
 * figures and counted apart (the gate would escalate it: it never passes on an error).
 */
import { selectLlmProvider } from "../agents/llm/select-provider";
import { llmEnvSchema, parseEnv } from "../lib/env";
import { lineRules } from "../agents/review/engines";
import { deletedLogicLines } from "../agents/review/engines/logic-edits";
import { CODE_EXTENSIONS, extensionOf, isTestPath } from "../agents/review/file-view";
import { parseUnifiedDiff } from "../lib/diff/unified-diff";
import { defaultPolicyRules } from "../lib/policy/policy-rules";
import { judgeCase, loadCorpus, type CaseVerdict, type CorpusCase, type ReviewHow } from "../test/support/review-corpus";

interface Tally {
  escalate: number;
  caught: number;
  rightReason: number;
  pass: number;
  falseEscalations: number;
}

const empty = (): Tally => ({ escalate: 0, caught: 0, rightReason: 0, pass: 0, falseEscalations: 0 });

function add(tally: Tally, corpusCase: CorpusCase, verdict: CaseVerdict) {
  if (corpusCase.label === "escalate") {
    tally.escalate++;
    if (verdict.escalated) tally.caught++;
    if (verdict.escalated && verdict.rightReason) tally.rightReason++;
  } else {
    tally.pass++;
    if (verdict.escalated) tally.falseEscalations++;
  }
}

const percent = (part: number, whole: number) => (whole === 0 ? "   -  " : `${((100 * part) / whole).toFixed(1).padStart(5)}%`);

/** A line of figures; `reasons` false for a gate that gives none. */
function line(label: string, t: Tally, reasons = true): string {
  return `  ${label.padEnd(22)} recall ${percent(t.caught, t.escalate)} (${t.caught}/${t.escalate}${reasons ? `, right reason ${t.rightReason}` : ""})   false escalations ${percent(t.falseEscalations, t.pass)} (${t.falseEscalations}/${t.pass})`;
}

export interface QualityFigures {
  split: CorpusCase["split"];
  overall: Tally;
  byCategory: Record<string, Tally>;
  byLanguage: Record<string, Tally>;
  misses: string[];
  falseEscalations: string[];
  /** Cases whose review failed (an LLM call that kept failing): not in the figures. */
  failed: string[];
  tokens: { input: number; output: number };
}

export interface Progress {
  /** Cases reviewed at once. */
  concurrency: number;
  onCase?: (done: number, total: number, id: string) => void;
}

/** Each case's verdict (or the error that stopped its review), in corpus order, `concurrency` at a time. */
async function verdictsOf(cases: CorpusCase[], review: (c: CorpusCase) => Promise<CaseVerdict>, concurrency: number, onCase?: Progress["onCase"]) {
  const verdicts: (CaseVerdict | Error)[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) {
      verdicts[i] = await review(cases[i]).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      onCase?.(++done, cases.length, cases[i].id);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return verdicts;
}

/**
 * With `withSources`, each case with whole files in the corpus is reviewed with them (the rest from
 * the diff); with a `provider`, by the floor and that LLM above it, as a run with an API key is.
 */
export async function measureReviewQuality(how: ReviewHow = {}, progress: Progress = { concurrency: 1 }): Promise<QualityFigures[]> {
  const corpus = loadCorpus();
  const figures: QualityFigures[] = [];
  for (const split of ["authoring", "held-out"] as const) {
    const cases = corpus.filter((c) => c.split === split);
    const verdicts = await verdictsOf(cases, (c) => judgeCase(c, how), progress.concurrency, progress.onCase);
    const f: QualityFigures = { split, overall: empty(), byCategory: {}, byLanguage: {}, misses: [], falseEscalations: [], failed: [], tokens: { input: 0, output: 0 } };
    for (const [i, corpusCase] of cases.entries()) {
      const verdict = verdicts[i];
      if (verdict instanceof Error) {
        f.failed.push(`${corpusCase.id}: ${verdict.message.slice(0, 200)}`);
        continue;
      }
      f.tokens.input += verdict.usage?.inputTokens ?? 0;
      f.tokens.output += verdict.usage?.outputTokens ?? 0;
      add(f.overall, corpusCase, verdict);
      add((f.byCategory[`${corpusCase.label}/${corpusCase.category}`] ??= empty()), corpusCase, verdict);
      add((f.byLanguage[corpusCase.language] ??= empty()), corpusCase, verdict);
      if (corpusCase.label === "escalate" && !verdict.escalated) f.misses.push(`${corpusCase.id} [${corpusCase.category}] found: ${verdict.rules.join(", ") || "nothing"}`);
      if (corpusCase.label === "pass" && verdict.escalated) f.falseEscalations.push(`${corpusCase.id} [${corpusCase.category}] ${verdict.reasons.join("+")}: ${verdict.rules.join(", ")}`);
    }
    figures.push(f);
  }
  return figures;
}

/**
 * Two gates that read nothing, for scale: escalate every change to a non-test code file, or every
 * one that deletes a line of logic (a condition, a return, a comparison) from one. They bound what
 * rules over changed lines can reach: a rule that reads code catches nothing the first gate misses
 * (rules on configuration and templates can: two held-out cases change no code file).
 */
function indiscriminateGates() {
  const corpus = loadCorpus();
  const gates = [
    { name: "any code change", escalates: (c: CorpusCase) => codeFiles(c).length > 0 },
    {
      name: "any logic deleted",
      escalates: (c: CorpusCase) => parseUnifiedDiff(c.diff).files.some((f) => deletedLogicLines(f).length > 0),
    },
  ];
  return gates.map((gate) => ({
    name: gate.name,
    figures: (["authoring", "held-out"] as const).map((split) => {
      const tally = empty();
      for (const c of corpus.filter((x) => x.split === split)) add(tally, c, { escalated: gate.escalates(c), rightReason: false } as CaseVerdict);
      return { split, tally };
    }),
  }));
}

function codeFiles(c: CorpusCase) {
  return parseUnifiedDiff(c.diff).files.filter((f) => !f.binary && !isTestPath(f.path) && CODE_EXTENSIONS.has(extensionOf(f.path)));
}

function optionValue(args: string[], name: string): string | undefined {
  return args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
}

async function main() {
  const args = process.argv.slice(2);
  const blind = args.includes("--blind");
  const names = blind ? "authoring" : (optionValue(args, "--names") ?? "all");
  if (args.includes("--llm")) {
    const concurrency = Number(optionValue(args, "--concurrency") ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      console.error("--concurrency takes a whole number of cases reviewed at once, 1 or more");
      process.exitCode = 2;
      return;
    }
    return mainWithLlm(blind, names, concurrency);
  }
  const started = performance.now();
  const modes = [
    { title: "the diff only (no repository to read)", figures: await measureReviewQuality() },
    { title: "with the repository: whole base and head files where the corpus has them, else the diff", figures: await measureReviewQuality({ withSources: true }) },
  ];
  if (args.includes("--json")) {
    const summary = (figures: QualityFigures[]) => figures.map(({ split, overall, byCategory, byLanguage }) => ({ split, overall, byCategory, byLanguage }));
    console.log(JSON.stringify({ diffOnly: summary(modes[0].figures), withSources: summary(modes[1].figures) }));
    return;
  }
  const corpus = loadCorpus();
  const withFiles = corpus.filter((c) => c.sources?.status === "complete").length;
  console.log(`review gate on the labelled corpus: ${corpus.length} real patches (${withFiles} with their whole files), rules floor only (no LLM), default policy; ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log("");
  console.log("baseline, same run: Flowgate's own line rules without the other engines (what the floor was built on), diff only");
  for (const f of await measureReviewQuality({ rules: { engines: [lineRules] } })) console.log(line(f.split, f.overall));
  console.log("");
  console.log("bounds, same run: gates that read nothing, escalating any change to code, or any that deletes a line of logic from code");
  for (const gate of indiscriminateGates()) for (const f of gate.figures) console.log(line(`${gate.name}, ${f.split}`, f.tally, false));
  for (const mode of modes) {
    console.log("");
    console.log(`== ${mode.title}`);
    printFigures(mode.figures, blind, names);
  }
  console.log("");
  console.log("== the strict policy (review.escalateDeletedLogic: any deleted line of logic in code goes to a person), same run");
  for (const withSources of [false, true]) {
    for (const f of await measureReviewQuality({ withSources, policy: STRICT_POLICY })) console.log(line(`${withSources ? "with files" : "diff only"}, ${f.split}`, f.overall));
  }
}

/** The default policy with the strict floor switched on. */
export const STRICT_POLICY = { ...defaultPolicyRules, review: { ...defaultPolicyRules.review, escalateDeletedLogic: true } };

/** The whole review, floor and LLM, beside the floor alone measured in the same run. */
async function mainWithLlm(blind: boolean, names: string, concurrency: number) {
  const provider = selectLlmProvider(parseEnv(llmEnvSchema));
  if (!provider) {
    console.error("--llm measures the review with the LLM the runner would use: set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy); the API must be reachable from here.");
    process.exitCode = 2;
    return;
  }
  const corpus = loadCorpus();
  console.log(`review gate on the labelled corpus: ${corpus.length} real patches, the rules floor and ${provider.name} ${provider.model} above it, default policy, ${concurrency} cases at once`);
  for (const withSources of [false, true]) {
    const floor = await measureReviewQuality({ withSources });
    const started = performance.now();
    const onCase = (done: number, total: number) => process.stderr.write(`\r  reviewed ${done}/${total}   `);
    const figures = await measureReviewQuality({ withSources, provider }, { concurrency, onCase });
    process.stderr.write("\n");
    console.log("");
    console.log(`== ${withSources ? "with the repository: whole files where the corpus has them" : "the diff only"}; ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log("the rules floor alone, same run:");
    for (const f of floor) console.log(line(f.split, f.overall));
    console.log("the floor and the LLM:");
    printFigures(figures, blind, names);
    for (const f of figures) {
      console.log(` ${f.split}: ${f.tokens.input} input and ${f.tokens.output} output tokens; ${f.failed.length} reviews failed (left out; the gate escalates them)`);
      for (const failure of f.failed) console.log(`   ${failure}`);
    }
  }
}

function printFigures(figures: QualityFigures[], blind: boolean, names: string) {
  for (const f of figures) {
    console.log("");
    console.log(`${f.split} half`);
    console.log(line("all", f.overall));
    if (blind && f.split === "held-out") continue;
    console.log(" by category:");
    for (const [k, t] of Object.entries(f.byCategory).sort()) console.log(line(k, t));
    console.log(" by language:");
    for (const [k, t] of Object.entries(f.byLanguage).sort()) console.log(line(k, t));
    if (names === "all" || names === f.split) {
      console.log(` misses (${f.misses.length}):`);
      for (const m of f.misses) console.log(`   ${m}`);
      console.log(` false escalations (${f.falseEscalations.length}):`);
      for (const m of f.falseEscalations) console.log(`   ${m}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
