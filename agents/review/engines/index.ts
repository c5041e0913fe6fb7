/**
 * The review engines, in the order their findings win when two engines report the same category
 * on the same line (the first one's finding is kept, the later one dropped: finding.ts, dedupe).
 */
import type { DiffFile } from "../../../lib/diff/unified-diff";
import type { RuleFinding } from "../../../lib/review/review-output";
import { extensionOf, JS_EXTENSIONS, type FileView } from "../file-view";
import { detectAuthChange } from "./access-control";
import { detectApiBreaks } from "./api-surface";
import { detectSecrets } from "./credential-literals";
import { detectLargeChange, detectUntestedChanges } from "./diff-shape";
import { detectWithGitleaks } from "./gitleaks";
import { detectCommandInjection, detectPerlInjection, detectSqlInjection } from "./injection-lines";
import { detectNewIntegrations } from "./integrations";
import { addedFactsOf, detectLogicEdits, type AddedFacts } from "./logic-edits";
import { detectMarkupSinks } from "./markup-sinks";
import { detectOpenApiBreaks, isApiDocumentPath } from "./openapi";
import { addedSideOf, detectRemovedGuards, type AddedSide } from "./removed-guards";
import { detectRemovedRoutes, mayRegisterRoutes } from "./routes";
import { detectSchemaChanges } from "./schema";
import { detectWithSecretlint } from "./secretlint";
import { detectStructurally } from "./structural";
import { detectTypeScriptApiBreaks } from "./typescript-api";

export interface DiffShapeOptions {
  largeChangeLines: number;
  maxReviewable: number;
}

/** The whole diff, for engines that compare one file with the rest (one object per review). */
export interface DiffContext {
  files: DiffFile[];
}

export interface ReviewEngine {
  /** Names the engine in each finding ("gitleaks:aws-access-token") and in what was not checked. */
  name: string;
  /** Findings in one file. A throw is recorded as "this engine did not check this file". */
  reviewFile?(view: FileView, diff: DiffContext): RuleFinding[] | Promise<RuleFinding[]>;
  /**
   * For engines that read whole files: which files they would read, and what they check. Without
   * the repository they cannot run, and the review says what was not checked.
   */
  wholeFile?: { reads(view: FileView): boolean; checks: string };
  /** Findings about the diff as a whole, given the files this engine reached. */
  reviewDiff?(reached: FileView[], files: DiffFile[], options: DiffShapeOptions): RuleFinding[];
}

/** Flowgate's own line rules: the original rules floor, language-agnostic and line by line. */
export const lineRules: ReviewEngine = {
  name: "line-rules",
  reviewFile: (view) => [
    ...detectSecrets(view),
    ...detectSqlInjection(view),
    ...detectCommandInjection(view),
    ...detectPerlInjection(view),
    ...detectMarkupSinks(view),
    ...detectAuthChange(view),
    ...detectApiBreaks(view),
    ...detectNewIntegrations(view),
    ...detectSchemaChanges(view),
  ],
  reviewDiff: (reached, files, { largeChangeLines, maxReviewable }) => [
    ...detectUntestedChanges(reached, files),
    ...detectLargeChange(files, largeChangeLines, maxReviewable),
  ],
};

/** gitleaks' maintained secret rules (engines/gitleaks.ts). */
export const gitleaks: ReviewEngine = { name: "gitleaks", reviewFile: detectWithGitleaks };

/** secretlint's recommended rules, a second opinion on secrets (engines/secretlint.ts). */
export const secretlint: ReviewEngine = { name: "secretlint", reviewFile: detectWithSecretlint };

/** Structural rules per language, as ast-grep rule files (engines/structural.ts). */
export const astGrep: ReviewEngine = { name: "ast-grep", reviewFile: detectStructurally };

/** What the diff's added lines say, computed once per review for the removed-guard engine. */
const addedSides = new WeakMap<DiffContext, AddedSide>();

/** Safeguards deleted with nothing added in their place (engines/removed-guards.ts). */
export const removedGuard: ReviewEngine = {
  name: "removed-guard",
  reviewFile: (view, diff) => {
    let added = addedSides.get(diff);
    if (!added) addedSides.set(diff, (added = addedSideOf(diff.files)));
    return detectRemovedGuards(view, added);
  },
};

/** What the diff's added lines hold, computed once per review for the logic-edit engine. */
const addedFacts = new WeakMap<DiffContext, AddedFacts>();

/** Safeguards weakened in place: escapes, bounds, decisions, switches (engines/logic-edits.ts). */
export const logicEdit: ReviewEngine = {
  name: "logic-edit",
  reviewFile: (view, diff) => {
    let added = addedFacts.get(diff);
    if (!added) addedFacts.set(diff, (added = addedFactsOf(diff.files)));
    return detectLogicEdits(view, added);
  },
};

/** Exported API of TypeScript/JavaScript modules, base against head (needs the repository). */
export const typescriptApi: ReviewEngine = {
  name: "ts-morph",
  reviewFile: detectTypeScriptApiBreaks,
  wholeFile: { reads: (view) => !view.isTest && JS_EXTENSIONS.has(extensionOf(view.path)), checks: "exported APIs of changed TypeScript/JavaScript modules" },
};

/** OpenAPI/AsyncAPI documents compared as documents (needs the repository). */
export const openApi: ReviewEngine = {
  name: "api-smart-diff",
  reviewFile: detectOpenApiBreaks,
  wholeFile: { reads: (view) => isApiDocumentPath(view.path), checks: "OpenAPI/AsyncAPI documents as documents" },
};

/** HTTP routes of whole files, base against head (needs the repository). */
export const routes: ReviewEngine = {
  name: "routes",
  reviewFile: detectRemovedRoutes,
  wholeFile: { reads: (view) => !view.isTest && mayRegisterRoutes(view.path), checks: "HTTP routes registered in whole changed files" },
};

export const REVIEW_ENGINES: readonly ReviewEngine[] = [lineRules, removedGuard, logicEdit, astGrep, gitleaks, secretlint, typescriptApi, openApi, routes];
