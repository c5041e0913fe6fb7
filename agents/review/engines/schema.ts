/** Schema changes: DDL and migrations, and Prisma schema edits that drop models or fields. */
import type { RuleFinding } from "../../../lib/review/review-output";
import { changedLines, codeLines, isMigrationPath, type FileView, type NumberedLine } from "../file-view";
import { finding } from "../finding";


function isPrismaSchema(path: string): boolean {
  return /\.prisma$/.test(path);
}

const DESTRUCTIVE_DDL = /\b(?:DROP\s+(?:TABLE|COLUMN|INDEX|SCHEMA|DATABASE|CONSTRAINT)|TRUNCATE)\b|\b(?:drop_table|drop_column|remove_column|dropTable|dropTableIfExists|dropColumn|RemoveField|DeleteModel)\b/;
const DDL = /\b(?:CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX)|ALTER\s+TABLE|ADD\s+COLUMN|RENAME\s+(?:COLUMN|TO))\b|\b(?:create_table|add_column|createTable|alterTable|AddField|AlterField|CreateModel|add_index)\b/;

const DESTRUCTIVE_DDL_ANY_CASE = new RegExp(DESTRUCTIVE_DDL.source, "i");
const DDL_ANY_CASE = new RegExp(DDL.source, "i");

/**
 * DDL keywords count in any case inside migration and SQL files; elsewhere only in upper case,
 * so a sentence like "we never drop table rows" in a string does not fire.
 */
function ddlMatch(content: string, anyCase: boolean): "drop" | "ddl" | null {
  if ((anyCase ? DESTRUCTIVE_DDL_ANY_CASE : DESTRUCTIVE_DDL).test(content)) return "drop";
  if ((anyCase ? DDL_ANY_CASE : DDL).test(content)) return "ddl";
  return null;
}

export function detectSchemaChanges(view: FileView): RuleFinding[] {
  // Tests create and drop throwaway databases all the time; that is not a schema change.
  if (view.isDoc || view.isTest) return [];
  if (isPrismaSchema(view.path)) return detectPrismaChanges(view);
  const migration = isMigrationPath(view.path) || isMigrationPath(view.oldPath);
  const findings: RuleFinding[] = [];
  const additive: NumberedLine[] = [];
  for (const entry of codeLines(view.added)) {
    const match = ddlMatch(entry.content, migration);
    // Every destructive statement is cited on its own line; additive DDL once per file, so a
    // migration creating twenty tables does not drown the review in identical findings.
    if (match === "drop") findings.push(finding("schema_change", "schema.drop", "critical", view.path, entry.line, "Destructive schema change (drops or truncates data); check the rollout and backups."));
    else if (match === "ddl") additive.push(entry);
  }
  if (additive.length > 0) {
    const count = additive.length === 1 ? "a DDL statement" : `${additive.length} DDL statements`;
    findings.push(finding("schema_change", "schema.ddl", "high", view.path, additive[0].line, `Schema change (${count}); check it is backward compatible with the running code.`));
  }
  if (migration && findings.length === 0) {
    const first = view.added[0] ?? view.deleted[0];
    findings.push(finding("schema_change", "schema.migration-file", "high", view.added[0] ? view.path : view.oldPath, first?.line ?? null, `Migration file ${view.file.status}; check it is reversible and backward compatible.`));
  }
  return findings;
}

/** A Prisma field line: `name Type...` with a capitalized type, no "=" (datasource settings have one). */
const PRISMA_FIELD = /^\s*([a-z_]\w*)\s+[A-Z]\w*(?:\[\])?\??(?:\s|$)/;
const PRISMA_MODEL = /^\s*model\s+(\w+)\s*\{/;

function detectPrismaChanges(view: FileView): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const addedText = view.added.map((l) => l.content);
  const addedModels = new Set(addedText.map((c) => PRISMA_MODEL.exec(c)?.[1]).filter(Boolean));
  const addedFields = new Set(addedText.filter((c) => !c.includes("=")).map((c) => PRISMA_FIELD.exec(c)?.[1]).filter(Boolean));
  for (const { line, content } of view.deleted) {
    const model = PRISMA_MODEL.exec(content)?.[1];
    if (model && !addedModels.has(model)) {
      findings.push(finding("schema_change", "schema.prisma-model-removed", "critical", view.oldPath, line, `Removes Prisma model ${model}: its table is dropped by the next migration.`));
      continue;
    }
    const field = content.includes("=") ? undefined : PRISMA_FIELD.exec(content)?.[1];
    if (field && !addedFields.has(field)) {
      findings.push(finding("schema_change", "schema.prisma-field-removed", "critical", view.oldPath, line, `Removes Prisma field ${field}: its column is dropped by the next migration.`));
    }
  }
  const first = changedLines(view.file)[0];
  if (first) {
    const file = first.kind === "del" ? view.oldPath : view.path;
    findings.push(finding("schema_change", "schema.prisma-schema", "high", file, first.line, "Changes the Prisma schema; a migration must go with it."));
  }
  return findings;
}

