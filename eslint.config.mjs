// ESLint (flat config). Why these configs and rules: docs/decisions/016-linter.md.
import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import tseslint from "typescript-eslint";

export default defineConfig([
  // Next.js: @next/next (core-web-vitals as errors), react, react-hooks, jsx-a11y, import.
  ...nextVitals,
  // typescript-eslint's recommended rules as errors (eslint-config-next/typescript would make
  // unused variables and expressions warnings, which nobody reads).
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // A missing dependency is a stale closure; a deliberate omission says why in a disable comment.
      "react-hooks/exhaustive-deps": "error",
      // Off: it flags seeding or accumulating state from fetched data in an effect (a query's first
      // answer as the policy draft, the repositories seen so far). That costs one extra render, is
      // not a bug, and the alternatives restructure components for no behaviour change.
      "react-hooks/set-state-in-effect": "off",
      // Leaving out a field by destructuring it away (`{ output: _text, ...rest }`) is the idiom here.
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true, argsIgnorePattern: "^_" }],
    },
  },
  {
    // Tests read the JSON of responses and recorded requests field by field; typing each payload
    // would add nothing the assertions do not already check.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  globalIgnores([
    // eslint-config-next's defaults (a globalIgnores entry here replaces them)
    ".next/**",
    "out/**",
    "build/**",
    "next-env.d.ts",
    // generated or vendored
    "lib/db/generated/**",
    "agents/review/rule-sets/**",
    // outputs and local data
    "bench/out/**",
    "test-results/**",
    ".data/**",
    ".data-*/**",
    ".test-data/**",
    // foreign projects and hostile inputs that tests feed to Flowgate, not Flowgate's code
    "test/fixtures/**",
  ]),
]);
