import { describe, expect, it } from "vitest";
import { isSourceFile, isTestFile } from "@/lib/coverage/changed-line-coverage";
import { commentSyntaxOf } from "@/lib/coverage/source-files";
import { CodeLineClassifier } from "@/lib/coverage/source-lines";

describe("isTestFile", () => {
  it.each([
    "test/unit/cart.test.ts",
    "tests/test_cart.py",
    "src/__tests__/cart.tsx",
    "spec/models/cart_spec.rb",
    "src/cart.test.ts",
    "src/cart.spec.jsx",
    "lib/cart.test.mjs",
    "inventory/test_stock.py",
    "inventory/stock_test.py",
    "conftest.py",
    "pkg/cart/cart_test.go",
    "src/test/java/com/shop/CartTest.java",
    "src/test/kotlin/com/shop/Helpers.kt",
    "app/src/main/java/com/shop/CartTests.java",
    "packages/api/test/fixtures/seed.ts",
  ])("%s is a test file", (file) => {
    expect(isTestFile(file)).toBe(true);
  });

  it.each([
    "src/cart.ts",
    "lib/testing-library.ts", // a directory or file merely starting with "test"
    "src/contest/entry.ts",
    "src/latest.ts",
    "inventory/stock.py",
    "inventory/testing.py",
    "pkg/cart/cart.go",
    "src/main/java/com/shop/Contest.java",
    "src/specification.ts",
  ])("%s is not a test file", (file) => {
    expect(isTestFile(file)).toBe(false);
  });
});

describe("isSourceFile", () => {
  it.each(["src/a.js", "src/a.ts", "src/a.tsx", "src/a.jsx", "src/a.mjs", "src/a.cjs", "a.py", "A.java", "a.kt", "a.go", "a.rb", "a.cs", "a.php", "a.scala", "a.rs", "a.swift", "a.c", "a.cpp", "App.vue", "SRC/UPPER.TS"])(
    "%s is source",
    (file) => {
      expect(isSourceFile(file)).toBe(true);
    },
  );

  it.each(["README.md", "package.json", "package-lock.json", "pnpm-lock.yaml", ".github/workflows/ci.yml", "Cargo.lock", "types/env.d.ts", "dist/app.min.js", "schema.sql", "deploy.sh", "Makefile", ".env", "logo.png", "src/styles.css", "index.html"])(
    "%s is not source",
    (file) => {
      expect(isSourceFile(file)).toBe(false);
    },
  );
});

/** Classifies the lines of a hunk that starts at `firstLine`; returns the code lines' indexes + firstLine. */
function codeLines(file: string, lines: string[], firstLine = 1): number[] {
  const classifier = new CodeLineClassifier(commentSyntaxOf(file)!);
  classifier.startHunk(firstLine);
  return lines.flatMap((line, index) => (classifier.isCode(line) ? [firstLine + index] : []));
}

describe("CodeLineClassifier", () => {
  it("JavaScript: blank lines, line comments and block comments are not code", () => {
    const lines = [
      "/**", //          1
      " * Prices.", //   2
      " */", //          3
      "", //             4
      "export function price(a) {", // 5
      "  // why: cents", // 6
      "  return a * 100; // inline comment is still code", // 7
      "  /* one-line block */", // 8
      "  /* block then */ call();", // 9
      "  /*", //        10
      "  no star in the middle", // 11
      "  */ after();", // 12
      "}", //           13
      "   \t", //       14
      "class A { #secret = 1; }", // 15: '#' is a private field in JS, not a comment
    ];
    expect(codeLines("src/a.ts", lines)).toEqual([5, 7, 9, 12, 13, 15]);
  });

  it("a hunk starting mid-file takes ' * text' lines for the inside of a block comment", () => {
    expect(codeLines("src/a.js", [" * @param a the amount", " */", "const x = a", "  * b;"], 40)).toEqual([42]);
    // From the top of the file the state is known: the same multiplication line is code.
    expect(codeLines("src/a.js", ["const x = a", "  * b;"], 1)).toEqual([1, 2]);
  });

  it("Python: hash comments and docstrings are not code", () => {
    const lines = [
      '"""Stock levels."""', // 1
      "", // 2
      "def reserve(levels):", // 3
      '    """Reserve stock.', // 4
      "", // 5
      "    Longer text.", // 6
      '    """', // 7
      "    # first warehouse", // 8
      "    return levels  # done", // 9
      "x = '''not a docstring'''", // 10: a string assignment starts with code
    ];
    expect(codeLines("inventory/stock.py", lines)).toEqual([3, 9, 10]);
  });

  it("PHP: # is a comment but #[ opens an attribute", () => {
    expect(codeLines("src/A.php", ["# comment", "#[Route('/cart')]", "// comment", "echo 1;"])).toEqual([2, 4]);
  });

  it("Ruby: =begin/=end blocks", () => {
    expect(codeLines("lib/a.rb", ["=begin", "docs", "=end", "# note", "puts 1"])).toEqual([5]);
  });
});
