/** Facts about the diff as a whole: source changes without a matching test, and very large changes. */
import type { DiffFile } from "../../../lib/diff/unified-diff";
import type { RuleFinding } from "../../../lib/review/review-output";
import { baseName, generatedReason, isMigrationPath, isSourcePath, isTestPath, pathWords, type FileView } from "../file-view";
import { compareText, finding } from "../finding";

/** Words of a name, lower case: "reviewRules" and "review-rules" both give ["review", "rules"]. */
function nameWords(name: string): string[] {
  return pathWords(name);
}

/** The name a test file is about: foo.test.ts, test_foo.py, foo_test.go, FooTest.java → foo. */
function testSubject(path: string): string {
  return baseName(path)
    .replace(/\.[^.]+$/, "")
    .replace(/\.(?:test|spec)$/i, "")
    .replace(/^test_/, "")
    .replace(/(?:_test|_spec|Tests?)$/, "");
}

/** The name a source file is known by: its base name, or its folder's for index files. */
function sourceSubject(path: string): string {
  const stem = baseName(path).replace(/\.[^.]+$/, "");
  if (stem !== "index" && stem !== "__init__" && stem !== "mod") return stem;
  const parts = path.split("/");
  return parts.length >= 2 ? parts[parts.length - 2] : stem;
}

/** Whether the source's words appear, in order and adjacent, among the test's words. */
function plausiblyCovers(testPath: string, sourcePath: string): boolean {
  const test = nameWords(testSubject(testPath));
  const source = nameWords(sourceSubject(sourcePath));
  if (source.length === 0) return false;
  for (let i = 0; i + source.length <= test.length; i++) {
    if (source.every((word, j) => test[i + j] === word)) return true;
  }
  return false;
}

/** Sources without tests of their own: type declarations, config files, migrations. */
function needsOwnTest(path: string): boolean {
  const name = baseName(path);
  return isSourcePath(path) && !name.endsWith(".d.ts") && !/\.config\.[a-z]+$/.test(name) && !isMigrationPath(path);
}

export function detectUntestedChanges(views: FileView[], allFiles: DiffFile[]): RuleFinding[] {
  // Any test in the diff counts, even one too large for the rules to read.
  const testPaths = allFiles.filter((f) => f.status !== "deleted" && isTestPath(f.path)).map((f) => f.path);
  const findings: RuleFinding[] = [];
  for (const view of views) {
    if (view.isTest || view.file.status === "deleted" || view.added.length === 0 || !needsOwnTest(view.path)) continue;
    if (testPaths.some((testPath) => plausiblyCovers(testPath, view.path))) continue;
    findings.push(finding("untested_change", "tests.missing", "low", view.path, view.added[0].line, "Source change without a matching test change in this diff."));
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Large changes
// ---------------------------------------------------------------------------------------------

export function detectLargeChange(files: DiffFile[], threshold: number, maxReviewable: number): RuleFinding[] {
  // Lock files and build output are not code a reviewer reads; counting them would flag every
  // dependency bump. Oversized source files do count: they are the point of this rule.
  const counted = files.filter((f) => !f.binary && !generatedReason(f.path));
  const total = counted.reduce((sum, f) => sum + f.additions + f.deletions, 0);
  if (total <= threshold || counted.length === 0) return [];
  const largest = [...counted].sort((a, b) => b.additions + b.deletions - (a.additions + a.deletions) || compareText(a.path, b.path))[0];
  const oversized = counted.filter((f) => f.additions + f.deletions > maxReviewable).length;
  const note = oversized > 0 ? ` ${oversized} file(s) are too large for the rules to read.` : "";
  return [
    finding("large_change", "size.large-change", "medium", largest.path, null, `Large change: ${total} changed lines across ${counted.length} file(s), above ${threshold}; consider splitting it.${note}`),
  ];
}

