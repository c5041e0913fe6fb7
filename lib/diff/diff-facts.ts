import { z } from "zod";
import { languageOf } from "./languages";
import type { FileStatus, ParsedDiff } from "./unified-diff";

/**
 * What a diff is, without its text: per file the paths, status, language, counts and hunk ranges.
 * Parsed once, at intake, and stored with the run (RunDiff.facts); the escalation package, the
 * incident report and the pages use these instead of parsing the diff again.
 */
export interface DiffFileFacts {
  path: string;
  oldPath: string | null;
  newPath: string | null;
  status: FileStatus;
  language: string | null;
  binary: boolean;
  additions: number;
  deletions: number;
  /** Each hunk's old and new line ranges, as in its `@@ -a,b +c,d @@` header. */
  hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number }[];
}

export interface DiffFacts {
  files: DiffFileFacts[];
  additions: number;
  deletions: number;
}

export function diffFactsOf(diff: ParsedDiff): DiffFacts {
  return {
    files: diff.files.map((f) => ({
      path: f.path,
      oldPath: f.oldPath,
      newPath: f.newPath,
      status: f.status,
      language: languageOf(f.path),
      binary: f.binary,
      additions: f.additions,
      deletions: f.deletions,
      hunks: f.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines })),
    })),
    additions: diff.additions,
    deletions: diff.deletions,
  };
}

/** Stored facts are read back through this, so a row that is not facts is never taken for them. */
export const diffFactsSchema: z.ZodType<DiffFacts> = z.object({
  files: z.array(
    z.object({
      path: z.string(),
      oldPath: z.string().nullable(),
      newPath: z.string().nullable(),
      status: z.enum(["added", "deleted", "modified", "renamed"]),
      language: z.string().nullable(),
      binary: z.boolean(),
      additions: z.number(),
      deletions: z.number(),
      hunks: z.array(z.object({ oldStart: z.number(), oldLines: z.number(), newStart: z.number(), newLines: z.number() })),
    }),
  ),
  additions: z.number(),
  deletions: z.number(),
});
