import { CoverageParseError } from "./coverage-parse-error";
import { parseCobertura } from "./parse-cobertura";
import { parseIstanbulJson } from "./parse-istanbul-json";
import { parseLcov } from "./parse-lcov";
import { createReportPathResolver } from "./report-paths";

export { CoverageParseError };

export type CoverageFormat = "istanbul-json" | "lcov" | "cobertura";

export const COVERAGE_FORMATS: readonly CoverageFormat[] = ["istanbul-json", "lcov", "cobertura"];

/** Executable lines of one file and how often each ran. Paths are repository-relative, POSIX. */
export interface FileLineCoverage {
  path: string;
  lines: Map<number, number>;
}

export type CoverageReport = Map<string, FileLineCoverage>;

export interface ParseCoverageOptions {
  /** The absolute workspace path the report was produced in. */
  root: string;
  /**
   * Optional: whether a repository-relative path exists in the checkout. Only consulted when a
   * Cobertura report lists several <source> directories and a relative class filename could
   * belong to more than one; without it the first source directory inside the workspace wins.
   */
  fileExists?: (relativePath: string) => boolean;
}

/**
 * Reads a coverage report into executable lines per repository-relative file.
 *
 * Absolute paths in the report are made relative to `root` (paths outside it are dropped),
 * relative ones are normalised (./, backslashes). Cobertura <source> elements are honoured. The
 * same file reported twice (concatenated lcov, a Java file with inner classes in Cobertura, an
 * absolute and a relative Istanbul key) is merged by adding the hits, as `lcov -a` does.
 * Throws CoverageParseError, naming what is wrong, on malformed input.
 */
export function parseCoverage(format: CoverageFormat, text: string, options: ParseCoverageOptions): CoverageReport {
  const resolvePath = createReportPathResolver(options.root);
  switch (format) {
    case "istanbul-json":
      return parseIstanbulJson(text, resolvePath);
    case "lcov":
      return parseLcov(text, resolvePath);
    case "cobertura":
      return parseCobertura(text, resolvePath, options.fileExists);
    default:
      throw new CoverageParseError(`unknown coverage format "${String(format)}"; expected one of ${COVERAGE_FORMATS.join(", ")}`);
  }
}
