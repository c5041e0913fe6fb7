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
