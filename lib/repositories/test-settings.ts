import { z } from "zod";

/**
 * How the test agent tests a repository: stored under `test` in Repository.settings. A preset
 * fills every field; any field can be overridden. The test command must leave a coverage report
 * at `coveragePath` and JUnit XML results at `resultsPath` (every mainstream runner writes JUnit).
 */
export const testPresets = {
  "node-test": {
    label: "Node.js built-in test runner (node --test) with its coverage",
    framework: "node:test (import { test } from 'node:test'; import assert from 'node:assert/strict')",
    installCommand: null,
    testCommand:
      "mkdir -p coverage && node --test --experimental-test-coverage --test-reporter=lcov --test-reporter-destination=coverage/lcov.info --test-reporter=junit --test-reporter-destination=test-results.xml --test-reporter=spec --test-reporter-destination=stdout",
    coverageFormat: "lcov",
    coveragePath: "coverage/lcov.info",
    resultsPath: "test-results.xml",
    generatedTestDir: "test/generated",
    generatedTestSuffix: ".test.js",
  },
  "node-vitest": {
    label: "Node.js with vitest and @vitest/coverage-v8",
    framework: "vitest (import { describe, it, expect } from 'vitest')",
    installCommand: "npm ci --no-audit --no-fund",
    testCommand: "npx vitest run --coverage.enabled --coverage.provider=v8 --coverage.reporter=json --coverage.reportsDirectory=coverage --reporter=default --reporter=junit --outputFile.junit=test-results.xml",
    coverageFormat: "istanbul-json",
    coveragePath: "coverage/coverage-final.json",
    resultsPath: "test-results.xml",
    generatedTestDir: "test/generated",
    generatedTestSuffix: ".test.ts",
  },
  "node-jest": {
    label: "Node.js with jest (and jest-junit)",
    framework: "jest (describe, it, expect are globals)",
    installCommand: "npm ci --no-audit --no-fund",
    testCommand: "JEST_JUNIT_OUTPUT_NAME=test-results.xml npx jest --ci --coverage --coverageReporters=json --reporters=default --reporters=jest-junit",
    coverageFormat: "istanbul-json",
    coveragePath: "coverage/coverage-final.json",
    resultsPath: "test-results.xml",
    generatedTestDir: "test/generated",
    generatedTestSuffix: ".test.js",
  },
  "python-pytest": {
    label: "Python with pytest and coverage.py (pytest-cov)",
    framework: "pytest (plain functions named test_*, assert statements)",
    installCommand: "python3 -m pip install -q -r requirements.txt",
    testCommand: "python3 -m pytest --junitxml=test-results.xml --cov=. --cov-report=xml:coverage.xml",
    coverageFormat: "cobertura",
    coveragePath: "coverage.xml",
    resultsPath: "test-results.xml",
    generatedTestDir: "tests/generated",
    generatedTestSuffix: "_test.py",
  },
} as const;
export type TestPreset = keyof typeof testPresets;
export const testPresetNames = Object.keys(testPresets) as [TestPreset, ...TestPreset[]];

const relativePath = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), "must be a path inside the repository");

export const testSettingsSchema = z.object({
  preset: z.enum(testPresetNames),
  installCommand: z.string().trim().max(2000).nullable().optional(),
  testCommand: z.string().trim().min(1).max(2000).optional(),
  coverageFormat: z.enum(["istanbul-json", "lcov", "cobertura"]).optional(),
  coveragePath: relativePath.optional(),
  resultsPath: relativePath.optional(),
  generatedTestDir: relativePath.optional(),
  timeLimitSeconds: z.number().int().min(5).max(3600).default(600),
  memoryLimitMb: z.number().int().min(64).max(65536).default(2048),
  // What the sandbox allows the repository's commands (agents/sandbox): the disk the workspace may
  // fill, the processes they may run at once, and whether the install command may reach the
  // network (the test command never can).
  diskLimitMb: z.number().int().min(16).max(262144).default(4096),
  processLimit: z.number().int().min(8).max(4096).default(512),
  installNetwork: z.enum(["none", "egress"]).default("none"),
});
export type TestSettingsInput = z.input<typeof testSettingsSchema>;

export interface TestSettings {
  preset: TestPreset;
  framework: string;
  installCommand: string | null;
  testCommand: string;
  coverageFormat: "istanbul-json" | "lcov" | "cobertura";
  coveragePath: string;
  resultsPath: string;
  generatedTestDir: string;
  generatedTestSuffix: string;
  timeLimitSeconds: number;
  memoryLimitMb: number;
  diskLimitMb: number;
  processLimit: number;
  installNetwork: "none" | "egress";
}

/** The repository's effective test settings (preset + overrides), or null when it has none. */
export function testSettingsOf(repositorySettings: unknown): TestSettings | null {
  const stored = (repositorySettings as { test?: unknown } | null)?.test;
  if (stored === undefined || stored === null) return null;
  const parsed = testSettingsSchema.parse(stored);
  const preset = testPresets[parsed.preset];
  return {
    preset: parsed.preset,
    framework: preset.framework,
    installCommand: parsed.installCommand === undefined ? preset.installCommand : parsed.installCommand,
    testCommand: parsed.testCommand ?? preset.testCommand,
    coverageFormat: parsed.coverageFormat ?? preset.coverageFormat,
    coveragePath: parsed.coveragePath ?? preset.coveragePath,
    resultsPath: parsed.resultsPath ?? preset.resultsPath,
    generatedTestDir: parsed.generatedTestDir ?? preset.generatedTestDir,
    generatedTestSuffix: preset.generatedTestSuffix,
    timeLimitSeconds: parsed.timeLimitSeconds,
    memoryLimitMb: parsed.memoryLimitMb,
    diskLimitMb: parsed.diskLimitMb,
    processLimit: parsed.processLimit,
    installNetwork: parsed.installNetwork,
  };
}
