import type { Prisma } from "../db/client";
import { diffFactsOf, diffFactsSchema, type DiffFacts } from "../diff/diff-facts";
import { parseUnifiedDiff, type ParsedDiff } from "../diff/unified-diff";

type Tx = Prisma.TransactionClient;

/** The row a new run's diff is stored as: its text, the paths it touches and its facts. */
export function runDiffRow(text: string, parsed: ParsedDiff): { text: string; paths: string[]; facts: Prisma.InputJsonValue } {
  const facts = diffFactsOf(parsed);
  return { text, paths: [...new Set(facts.files.map((f) => f.path))], facts: facts as unknown as Prisma.InputJsonValue };
}

/**
 * A run's diff facts. Runs stored before facts existed have none: their diff is parsed here, once,
 * and the facts stored. Null when the run has no diff row or its text does not parse (intake
 * validated it, so only a hand-edited row gets there).
 */
export async function loadDiffFacts(db: Tx, runId: string): Promise<DiffFacts | null> {
  const row = await db.runDiff.findUnique({ where: { runId }, select: { facts: true } });
  if (!row) return null;
  const stored = diffFactsSchema.safeParse(row.facts);
  if (stored.success) return stored.data;
  const { text } = await db.runDiff.findUniqueOrThrow({ where: { runId }, select: { text: true } });
  let facts: DiffFacts;
  try {
    facts = diffFactsOf(parseUnifiedDiff(text));
  } catch {
    return null;
  }
  await db.runDiff.update({ where: { runId }, select: { runId: true }, data: { facts: facts as unknown as Prisma.InputJsonValue } });
  return facts;
}

/** A run's diff text, for what reads the changed lines themselves; null when the run has none. */
export async function loadDiffText(db: Tx, runId: string): Promise<string | null> {
  const row = await db.runDiff.findUnique({ where: { runId }, select: { text: true } });
  return row?.text ?? null;
}
