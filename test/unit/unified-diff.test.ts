import { describe, expect, it } from "vitest";
import { formatDiffFile, parseUnifiedDiff } from "@/lib/diff/unified-diff";

// As `git diff` prints them: a new symlink, a file made executable with no line changed, a rename.
const symlink = `diff --git a/config/secrets.yml b/config/secrets.yml
new file mode 120000
index 0000000..6d0b4d0
--- /dev/null
+++ b/config/secrets.yml
@@ -0,0 +1 @@
+/etc/passwd
\\ No newline at end of file
`;
const executable = `diff --git a/scripts/deploy.sh b/scripts/deploy.sh
old mode 100644
new mode 100755
`;
const renamed = `diff --git a/src/auth.ts b/src/login.ts
similarity index 90%
rename from src/auth.ts
rename to src/login.ts
index 3b18e51..a1b2c3d 100644
--- a/src/auth.ts
+++ b/src/login.ts
@@ -1,2 +1,2 @@
-export const strict = true;
+export const strict = false;
 export {};
`;

describe("a file's diff written back", () => {
  it("keeps the modes and renames a reader should see", () => {
    const [link, script, moved] = parseUnifiedDiff(symlink + executable + renamed).files;
    expect(link.mode).toEqual({ old: null, new: "120000" });
    expect(formatDiffFile(link)).toBe("diff --git a/config/secrets.yml b/config/secrets.yml\nnew file mode 120000\n--- /dev/null\n+++ b/config/secrets.yml\n@@ -0,0 +1,1 @@\n+/etc/passwd\n");
    expect(script).toMatchObject({ path: "scripts/deploy.sh", status: "modified", mode: { old: "100644", new: "100755" }, hunks: [] });
    expect(formatDiffFile(script)).toContain("old mode 100644\nnew mode 100755\n");
    expect(formatDiffFile(moved)).toContain("rename from src/auth.ts\nrename to src/login.ts\n--- a/src/auth.ts\n+++ b/src/login.ts\n@@ -1,2 +1,2 @@\n");
    // The same file read back, but for how its hunk headers were spelled ("+1" is "+1,1").
    const unspelled = (file: typeof link) => ({ ...file, hunks: file.hunks.map((h) => ({ ...h, header: "" })) });
    for (const file of [link, script, moved]) expect(unspelled(parseUnifiedDiff(formatDiffFile(file)).files[0])).toEqual(unspelled(file));
  });
});
