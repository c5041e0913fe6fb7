import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { runtimeEnvSchema, startEnvSchema } from "@/lib/env";

// The README's configuration table lists exactly the variables of lib/env.ts, and where the schema
// has a default, the table shows that default. A default in parentheses, or one with a `$` in it, is
// described (computed elsewhere or the provider's own), not checked.

interface Row {
  line: number;
  names: string[];
  defaults: string[];
}

function configurationTable(): Row[] {
  const lines = fs.readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8").split("\n");
  const heading = lines.indexOf("### Configuration");
  expect(heading, "README.md has a ### Configuration section").toBeGreaterThan(-1);
  const start = lines.findIndex((line, i) => i > heading && line.startsWith("| Variable"));
  expect(start, "the section has a table whose first column is Variable").toBeGreaterThan(-1);
  const rows: Row[] = [];
  for (let i = start + 2; i < lines.length && lines[i].startsWith("|"); i++) {
    const [variables, defaults] = lines[i].split("|").slice(1).map((cell) => cell.trim());
    const names = [...variables.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]);
    expect(names.length, `README.md line ${i + 1} names a variable`).toBeGreaterThan(0);
    // One default for every variable of the row, or one per variable, comma-separated.
    const parts = defaults.split(/,\s+/);
    expect([1, names.length], `README.md line ${i + 1}: one default, or one per variable`).toContain(parts.length);
    rows.push({ line: i + 1, names, defaults: names.map((_, n) => parts[parts.length === 1 ? 0 : n]) });
  }
  return rows;
}

/** The schema's default for a variable (what an unset variable reads as), or undefined. */
function schemaDefault(field: z.ZodType): string | undefined {
  const unset = field.safeParse(undefined);
  return unset.success && unset.data !== undefined ? String(unset.data) : undefined;
}

const schemaFields: Record<string, z.ZodType> = { ...startEnvSchema.shape, ...runtimeEnvSchema.shape };

describe("README configuration table", () => {
  const rows = configurationTable();
  const listed = rows.flatMap((row) => row.names);

  it("lists every variable of lib/env.ts, once, and no other", () => {
    expect(listed.filter((name, i) => listed.indexOf(name) !== i), "listed twice").toEqual([]);
    expect([...listed].sort()).toEqual(Object.keys(schemaFields).sort());
  });

  it("shows the schema's defaults", () => {
    const wrong: string[] = [];
    for (const row of rows) {
      row.names.forEach((name, n) => {
        const field = schemaFields[name];
        if (!field) return;
        const expected = schemaDefault(field);
        const literal = /^`([^`$]*)`$/.exec(row.defaults[n])?.[1];
        if (expected !== undefined && literal !== expected) wrong.push(`README.md line ${row.line}: ${name} defaults to \`${expected}\`, the table says ${row.defaults[n]}`);
        if (expected === undefined && literal !== undefined) wrong.push(`README.md line ${row.line}: ${name} has no default in lib/env.ts, the table says ${row.defaults[n]}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it("npm start and the runtime give a variable they share the same default", () => {
    for (const name of Object.keys(startEnvSchema.shape).filter((key) => key in runtimeEnvSchema.shape)) {
      const start = (startEnvSchema.shape as Record<string, z.ZodType>)[name];
      const runtime = (runtimeEnvSchema.shape as Record<string, z.ZodType>)[name];
      expect(schemaDefault(start), name).toBe(schemaDefault(runtime));
    }
  });
});

describe("the README's GitHub App manifest", () => {
  it("is the manifest Settings → Code host offers (permissions, events, webhook path)", async () => {
    const { githubAppManifest } = await import("../../lib/code-host/github/app-manifest");
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const block = /The same as a \[GitHub App manifest\][\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    expect(block, "the README has the manifest block").not.toBeNull();
    expect(JSON.parse(block![1])).toEqual(JSON.parse(JSON.stringify(githubAppManifest("https://<flowgate>"))));
  });
});
