/**
 * A file-and-line note a stage makes about the change (a review finding, an uncovered changed
 * line): shown on the run page and, for a code-host repository, as an annotation on the check.
 */
export interface StageNote {
  file: string;
  line: number;
  endLine?: number;
  severity: "low" | "medium" | "high" | "critical";
  message: string;
}
