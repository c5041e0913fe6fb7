/** A small, tested change: passes review on its own. */
export const cleanDiff = `diff --git a/src/format.ts b/src/format.ts
new file mode 100644
--- /dev/null
+++ b/src/format.ts
@@ -0,0 +1,3 @@
+export function formatTotal(cents: number): string {
+  return (cents / 100).toFixed(2);
+}
diff --git a/src/format.test.ts b/src/format.test.ts
new file mode 100644
--- /dev/null
+++ b/src/format.test.ts
@@ -0,0 +1,2 @@
+import { formatTotal } from "./format";
+it("formats", () => expect(formatTotal(100)).toBe("1.00"));
`;

/** A new file that evaluates its input: the review escalates it (code injection, high risk). */
export const evalDiff = `diff --git a/src/reports.ts b/src/reports.ts
new file mode 100644
--- /dev/null
+++ b/src/reports.ts
@@ -0,0 +1,3 @@
+export function run(expression: string) {
+  return eval(expression);
+}
`;

/**
 * A git-style diff of one file from its old and new lines: the common head and tail become
 * context, the middle is deleted and added. No old lines means a new file, no new lines a deletion.
 */
export function fileDiff(path: string, oldLines: string[], newLines: string[]): string {
  let head = 0;
  while (head < oldLines.length && head < newLines.length && oldLines[head] === newLines[head]) head++;
  let tail = 0;
  while (
    tail < oldLines.length - head &&
    tail < newLines.length - head &&
    oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]
  ) {
    tail++;
  }
  const body = [
    ...oldLines.slice(0, head).map((l) => ` ${l}`),
    ...oldLines.slice(head, oldLines.length - tail).map((l) => `-${l}`),
    ...newLines.slice(head, newLines.length - tail).map((l) => `+${l}`),
    ...oldLines.slice(oldLines.length - tail).map((l) => ` ${l}`),
  ];
  const header = [`diff --git a/${path} b/${path}`];
  if (oldLines.length === 0) header.push("new file mode 100644", "--- /dev/null", `+++ b/${path}`);
  else if (newLines.length === 0) header.push("deleted file mode 100644", `--- a/${path}`, "+++ /dev/null");
  else header.push(`--- a/${path}`, `+++ b/${path}`);
  const range = (n: number) => `${n === 0 ? 0 : 1},${n}`;
  header.push(`@@ -${range(oldLines.length)} +${range(newLines.length)} @@`);
  return [...header, ...body].join("\n") + "\n";
}

/** A new file holding `lines`. */
export const added = (path: string, lines: string[]) => fileDiff(path, [], lines);
/** A deleted file that held `lines`. */
export const deleted = (path: string, lines: string[]) => fileDiff(path, lines, []);
