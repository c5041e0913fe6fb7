import { CoverageParseError } from "./coverage-parse-error";
import type { CoverageReport } from "./coverage-report";
import { addHits, CoverageReportBuilder, parseCount, parseLineNumber } from "./report-builder";
import type { ReportPathResolver } from "./report-paths";
import { childElements, describeXmlSyntaxError, firstChild, parseXmlDocument, XmlSyntaxError, type XmlElement } from "./xml-document";

function fail(message: string): never {
  throw new CoverageParseError(`Cobertura XML: ${message}`);
}

/**
 * Cobertura XML as coverage.py (`coverage xml`) and the JaCoCo converters (cover2cover and
 * friends) write it: <coverage><sources><source/></sources><packages><package><classes>
 * <class filename><lines><line number hits/>. Class filenames are relative to a <source>
 * directory (absolute in coverage.py, relative to the working directory in JaCoCo conversions).
 * The <methods> of a class repeat its lines and are not read. Several classes may share a file
 * (Java inner classes); their lines are merged.
 */
export function parseCobertura(text: string, resolvePath: ReportPathResolver, fileExists?: (relativePath: string) => boolean): CoverageReport {
  let root: XmlElement;
  try {
    root = parseXmlDocument(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) fail(`not well-formed XML: ${describeXmlSyntaxError(error)}`);
    throw error;
  }
  if (root.name !== "coverage") fail(`the root element must be <coverage>, found <${root.name}>`);

  const sources = childElements(firstChild(root, "sources"), "source").map((source) => source.text);
  const resolvedFiles = new Map<string, string | null>();
  const resolveFile = (filename: string): string | null => {
    let resolved = resolvedFiles.get(filename);
    if (resolved !== undefined) return resolved;
    if (sources.length === 0) resolved = resolvePath(filename);
    else {
      const candidates = sources.map((source) => resolvePath(filename, source)).filter((candidate) => candidate !== null);
      resolved = (candidates.length > 1 && fileExists ? candidates.find(fileExists) : undefined) ?? candidates[0] ?? null;
    }
    resolvedFiles.set(filename, resolved);
    return resolved;
  };

  const builder = new CoverageReportBuilder();
  for (const pkg of childElements(firstChild(root, "packages"), "package")) {
    for (const cls of childElements(firstChild(pkg, "classes"), "class")) {
      const filename = cls.attributes.filename;
      const className = cls.attributes.name ?? "(unnamed)";
      if (!filename) fail(`<class name="${className}"> in package "${pkg.attributes.name ?? ""}" has no filename attribute`);
      const path = resolveFile(filename);
      const lines = path === null ? null : builder.linesOf(path);
      for (const lineElement of childElements(firstChild(cls, "lines"), "line")) {
        const { number, hits } = lineElement.attributes;
        const line = parseLineNumber(number);
        if (line === null) fail(`a <line> of ${filename} has number="${number ?? ""}", not a line number`);
        const count = parseCount(hits);
        if (count === null) fail(`line ${line} of ${filename} has hits="${hits ?? ""}", not a whole number`);
        if (lines) addHits(lines, line, count);
      }
    }
  }
  return builder.report;
}
