/**
 * Changed-line coverage cost: mapping a coverage report onto a diff (the test agent's own work)
 * next to merely parsing the coverage report, in the same run. A seeded 50,000-line report over
 * 500 files, written as lcov, Istanbul JSON and Cobertura XML, and a 10,000-changed-line unified
 * diff over 250 of those files. Prints figures; asserts nothing.
 *
 *   node --import tsx bench/coverage-mapping.ts
 *
 * Time is the median of RUNS runs after WARM_UP unmeasured runs (JIT), as wall time and as this
 * process's CPU time (user + system, all threads): on a shared machine the CPU time is the steadier
 * of the two, since it leaves out the time other processes held the cores. Memory is the phase's
 * peak JS heap above the heap in use when it started (after a full GC): the largest heap seen
 * before any GC during the phase (v8.GCProfiler) or at its end, whichever is larger; the largest
 * over MEMORY_RUNS separate runs is shown.
 * The benchmark re-runs itself with --expose-gc when started without it.
 */
import { spawnSync } from "node:child_process";
import { XMLValidator } from "fast-xml-parser";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import { mapCoverageToDiff, type ChangedLineCoverage } from "../lib/coverage/changed-line-coverage";
import { parseCoverage, type CoverageFormat, type CoverageReport } from "../lib/coverage/coverage-report";
import { parseUnifiedDiff, type ParsedDiff } from "../lib/diff/unified-diff";

const FILES = 500;
const EXECUTABLE_LINES_PER_FILE = 100; // 50,000 in the report
const CHANGED_FILES = 250;
const ADDED_LINES_PER_FILE = 40; // 10,000 changed lines
const RUNS = Number(process.env.COVERAGE_BENCH_RUNS || 15);
const WARM_UP = 3;
const MEMORY_RUNS = 3;
const ROOT = "/workspace/shop";
const say = (line: string) => process.stdout.write(`${line}\n`);

if (typeof globalThis.gc !== "function") {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(child.status ?? 1);
}
const collectGarbage = globalThis.gc as () => void;

/** mulberry32: a small seeded generator, so every run measures the same input. */
function seededRandom(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SourceFile {
  path: string;
  /** Executable line numbers, ascending, with their hits. */
  lines: Array<[number, number]>;
  length: number;
}

/** 500 files of about 140 lines, 100 of them executable, about 75% of those run. */
function generateSources(random: () => number): SourceFile[] {
  const files: SourceFile[] = [];
  for (let index = 0; index < FILES; index++) {
    const lines: Array<[number, number]> = [];
    let line = 0;
    while (lines.length < EXECUTABLE_LINES_PER_FILE) {
      line += random() < 0.7 ? 1 : 2 + Math.floor(random() * 2); // blank lines, comments, braces between
      lines.push([line, random() < 0.75 ? 1 + Math.floor(random() * 40) : 0]);
    }
    files.push({ path: `src/module-${Math.floor(index / 20)}/file-${index}.ts`, lines, length: line + 3 });
  }
  return files;
}

function toLcov(files: SourceFile[]): string {
  const records: string[] = [];
  for (const file of files) {
    records.push("TN:", `SF:${ROOT}/${file.path}`);
    for (let fn = 0; fn < 10; fn++) records.push(`FN:${file.lines[fn * 10][0]},fn${fn}`, `FNDA:${file.lines[fn * 10][1]},fn${fn}`);
    records.push("FNF:10", "FNH:10");
    for (let branch = 0; branch < 8; branch++) records.push(`BRDA:${file.lines[branch * 12][0]},${branch},0,1`, `BRDA:${file.lines[branch * 12][0]},${branch},1,0`);
    records.push("BRF:16", "BRH:8");
    for (const [line, hits] of file.lines) records.push(`DA:${line},${hits}`);
    records.push(`LF:${file.lines.length}`, `LH:${file.lines.filter(([, hits]) => hits > 0).length}`, "end_of_record");
  }
  return `${records.join("\n")}\n`;
}

/** Shaped like nyc's: statements (some lines hold two), functions and branches with locations. */
function toIstanbulJson(files: SourceFile[], random: () => number): string {
  const document: Record<string, unknown> = {};
  for (const file of files) {
    const statementMap: Record<string, unknown> = {};
    const s: Record<string, number> = {};
    let id = 0;
    for (const [line, hits] of file.lines) {
      const statements = random() < 0.2 ? 2 : 1;
      for (let k = 0; k < statements; k++) {
        statementMap[id] = { start: { line, column: 2 + k * 20 }, end: { line, column: 18 + k * 20 } };
        s[id++] = hits;
      }
    }
    const fnMap: Record<string, unknown> = {};
    const f: Record<string, number> = {};
    for (let fn = 0; fn < 10; fn++) {
      const [line, hits] = file.lines[fn * 10];
      const loc = { start: { line, column: 0 }, end: { line: line + 8, column: 1 } };
      fnMap[fn] = { name: `fn${fn}`, decl: { start: { line, column: 9 }, end: { line, column: 12 } }, loc, line };
      f[fn] = hits;
    }
    const branchMap: Record<string, unknown> = {};
    const b: Record<string, number[]> = {};
    for (let branch = 0; branch < 8; branch++) {
      const [line, hits] = file.lines[branch * 12];
      const loc = { start: { line, column: 4 }, end: { line: line + 2, column: 5 } };
      branchMap[branch] = { loc, type: "if", locations: [loc, { start: {}, end: {} }], line };
      b[branch] = [hits, 0];
    }
    const absolute = `${ROOT}/${file.path}`;
    document[absolute] = { path: absolute, statementMap, fnMap, branchMap, s, f, b, _coverageSchema: "1a1c01bbd47fc00a2c39e90264f33305004495a9", hash: "0".repeat(40) };
  }
  return JSON.stringify(document);
}

/** Shaped like coverage.py's: an absolute source, one package per directory, one class per file. */
function toCobertura(files: SourceFile[]): string {
  const parts = ['<?xml version="1.0" ?>', '<coverage version="7.6.1" timestamp="1764032400000" lines-valid="50000" lines-covered="37500" line-rate="0.75" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">', `\t<sources>\n\t\t<source>${ROOT}</source>\n\t</sources>`, "\t<packages>"];
  const byDirectory = new Map<string, SourceFile[]>();
  for (const file of files) {
    const directory = file.path.slice(0, file.path.lastIndexOf("/"));
    byDirectory.set(directory, [...(byDirectory.get(directory) ?? []), file]);
  }
  for (const [directory, members] of byDirectory) {
    parts.push(`\t\t<package name="${directory.replace(/\//g, ".")}" line-rate="0.75" branch-rate="0" complexity="0">`, "\t\t\t<classes>");
    for (const file of members) {
      parts.push(`\t\t\t\t<class name="${file.path.slice(file.path.lastIndexOf("/") + 1)}" filename="${file.path}" complexity="0" line-rate="0.75" branch-rate="0">`, "\t\t\t\t\t<methods/>", "\t\t\t\t\t<lines>");
      for (const [line, hits] of file.lines) parts.push(`\t\t\t\t\t\t<line number="${line}" hits="${hits}"/>`);
      parts.push("\t\t\t\t\t</lines>", "\t\t\t\t</class>");
    }
    parts.push("\t\t\t</classes>", "\t\t</package>");
  }
  parts.push("\t</packages>", "</coverage>", "");
  return parts.join("\n");
}

/**
 * 40 added lines in each of 250 files, as two hunks of 20 with 3 lines of context around them;
 * half the hunks also delete 5 old lines (modified lines). Added lines are mostly code, with
 * comments and blank lines among them.
 */
function toDiff(files: SourceFile[], random: () => number): string {
  const out: string[] = [];
  const addedLine = (n: number) => {
    const pick = random();
    if (pick < 0.1) return "+";
    if (pick < 0.2) return `+  // keeps the total in cents (${n})`;
    return `+  const value${n} = compute(input, ${n});`;
  };
  for (let index = 0; index < CHANGED_FILES; index++) {
    const file = files[index * 2];
    out.push(`diff --git a/${file.path} b/${file.path}`, "index 1111111..2222222 100644", `--- a/${file.path}`, `+++ b/${file.path}`);
    let shift = 0; // new line numbers run ahead of old ones by the lines added so far
    for (const [hunkIndex, oldStart] of [10, 70].entries()) {
      const deleted = hunkIndex % 2 === 0 && random() < 0.5 ? 5 : 0;
      const added = ADDED_LINES_PER_FILE / 2;
      const newStart = oldStart + shift;
      out.push(`@@ -${oldStart},${3 + deleted + 3} +${newStart},${3 + added + 3} @@ function area${hunkIndex}() {`);
      for (let k = 0; k < 3; k++) out.push(`   return context(${oldStart + k});`);
      for (let k = 0; k < deleted; k++) out.push(`-  const old${k} = legacy(${k});`);
      for (let k = 0; k < added; k++) out.push(addedLine(newStart + 3 + k));
      for (let k = 0; k < 3; k++) out.push(`   return context(${oldStart + 3 + deleted + k});`);
      shift += added - deleted;
    }
  }
  return `${out.join("\n")}\n`;
}

interface PhaseFigures {
  medianMs: number;
  medianCpuMs: number;
  peakHeapMb: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Runs a phase WARM_UP times unmeasured, RUNS times timed, then MEMORY_RUNS times under the GC
 * profiler (kept apart so that recording GC statistics does not show up in the times).
 */
function measure<T>(label: string, phase: () => T): PhaseFigures & { result: T } {
  let result = phase();
  for (let run = 1; run < WARM_UP; run++) result = phase();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    result = undefined as T;
    collectGarbage();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    result = phase();
    times.push(performance.now() - started);
    const cpu = process.cpuUsage(cpuBefore);
    cpuTimes.push((cpu.user + cpu.system) / 1000);
  }
  let peakBytes = 0;
  for (let run = 0; run < MEMORY_RUNS; run++) {
    result = undefined as T;
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const profiler = new v8.GCProfiler();
    profiler.start();
    result = phase();
    const atEnd = process.memoryUsage().heapUsed;
    const gcs = profiler.stop().statistics as Array<{ beforeGC: { heapStatistics: { usedHeapSize: number } } }>;
    peakBytes = Math.max(peakBytes, Math.max(atEnd, ...gcs.map((gc) => gc.beforeGC.heapStatistics.usedHeapSize)) - before);
  }
  const figures = { medianMs: median(times), medianCpuMs: median(cpuTimes), peakHeapMb: peakBytes / 1024 / 1024, result };
  say(`  ${label.padEnd(40)} ${figures.medianMs.toFixed(2).padStart(9)} ms (CPU ${figures.medianCpuMs.toFixed(2).padStart(8)} ms, fastest ${Math.min(...times).toFixed(2).padStart(8)} ms)   peak heap +${figures.peakHeapMb.toFixed(1).padStart(5)} MB`);
  return figures;
}

function sameCoverage(a: ChangedLineCoverage, b: ChangedLineCoverage): boolean {
  return a.executable === b.executable && a.covered === b.covered && a.files.length === b.files.length;
}

function main() {
  say(`coverage mapping: ${FILES * EXECUTABLE_LINES_PER_FILE} report lines over ${FILES} files, ${CHANGED_FILES * ADDED_LINES_PER_FILE} changed lines over ${CHANGED_FILES} files, ${RUNS} runs per phase (Node ${process.version})`);
  say("generating inputs (seeded) ...");
  const random = seededRandom(20260401);
  const sources = generateSources(random);
  const texts: Record<CoverageFormat, string> = {
    lcov: toLcov(sources),
    "istanbul-json": toIstanbulJson(sources, random),
    cobertura: toCobertura(sources),
  };
  const diffText = toDiff(sources, random);
  for (const [format, text] of Object.entries(texts)) say(`  ${format.padEnd(14)} ${(Buffer.byteLength(text) / 1024 / 1024).toFixed(1)} MB`);
  say(`  diff           ${(Buffer.byteLength(diffText) / 1024 / 1024).toFixed(1)} MB`);

  say("measuring ...");
  const diffFigures = measure("parse diff (lib/diff)", () => parseUnifiedDiff(diffText));
  const diff: ParsedDiff = diffFigures.result;
  if (diff.additions !== CHANGED_FILES * ADDED_LINES_PER_FILE) throw new Error(`the generated diff has ${diff.additions} added lines`);

  const rows: Array<{ format: CoverageFormat; parse: PhaseFigures; map: PhaseFigures }> = [];
  let reference: ChangedLineCoverage | null = null;
  for (const format of ["lcov", "istanbul-json", "cobertura"] as const) {
    const parse = measure(`parse ${format}`, () => parseCoverage(format, texts[format], { root: ROOT }));
    const report: CoverageReport = parse.result;
    const lineCount = [...report.values()].reduce((sum, file) => sum + file.lines.size, 0);
    if (lineCount !== FILES * EXECUTABLE_LINES_PER_FILE) throw new Error(`${format} parsed to ${lineCount} lines`);
    const map = measure(`map onto the diff (${format} report)`, () => mapCoverageToDiff(diff, report));
    // All three formats describe the same lines, so the mapping must agree.
    reference ??= map.result;
    if (!sameCoverage(reference, map.result)) throw new Error(`mapping from ${format} differs from lcov`);
    rows.push({ format, parse, map });
  }
  // How much of the Cobertura parse is the well-formedness check that runs before the parser.
  const validation = measure("of which: XML well-formedness check", () => XMLValidator.validate(texts.cobertura));

  const result = reference!;
  say("");
  say(`changed lines ${diff.additions}, executable ${result.executable}, covered ${result.covered} (${result.percent!.toFixed(1)}%)`);
  say("");
  say("median ms       parse (CPU)          map (CPU)         map/parse (CPU)    peak heap: parse    map");
  for (const { format, parse, map } of rows) {
    say(
      [
        format.padEnd(14),
        `${parse.medianMs.toFixed(1).padStart(7)} (${parse.medianCpuMs.toFixed(1).padStart(7)})`,
        `${map.medianMs.toFixed(2).padStart(7)} (${map.medianCpuMs.toFixed(2).padStart(6)})`,
        `${(map.medianMs / parse.medianMs).toFixed(3).padStart(9)} (${(map.medianCpuMs / parse.medianCpuMs).toFixed(3)})`,
        `${`+${parse.peakHeapMb.toFixed(1)} MB`.padStart(14)}`,
        `${`+${map.peakHeapMb.toFixed(1)} MB`.padStart(9)}`,
      ].join("   "),
    );
  }
  say(`${"diff".padEnd(14)}   ${diffFigures.medianMs.toFixed(1).padStart(7)} (${diffFigures.medianCpuMs.toFixed(1).padStart(7)})${" ".repeat(43)}${`+${diffFigures.peakHeapMb.toFixed(1)} MB`.padStart(14)}`);
  say(`(the Cobertura parse includes ${validation.medianMs.toFixed(1)} ms of XML well-formedness checking)`);
  const cheapestParse = Math.min(...rows.map(({ parse }) => parse.medianMs));
  const cheapestParseCpu = Math.min(...rows.map(({ parse }) => parse.medianCpuMs));
  const below = rows.every(({ map }) => map.medianMs < cheapestParse && map.medianCpuMs < cheapestParseCpu);
  say("");
  say(`mapping costs less than the cheapest parse (wall and CPU): ${below ? "yes" : "NO"}`);
}

main();
