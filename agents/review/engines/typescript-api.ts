/**
 * API breaks in TypeScript and JavaScript modules, read from the whole base and head files with
 * ts-morph (the TypeScript compiler's parser): exports removed, function signatures changed in a
 * way that breaks callers, and public members removed from exported classes and interfaces. The
 * line rules see only the changed lines; this sees what the module exports before and after.
 *
 * Runs only when the repository was readable (FileView.source). Parsing is syntactic (no type
 * checking, no imports followed), so it is linear in the file and needs nothing installed.
 */
import { Node, Project, SyntaxKind, type ParameterDeclaration, type SourceFile } from "ts-morph";
import type { RuleFinding } from "../../../lib/review/review-output";
import { extensionOf, JS_EXTENSIONS, type FileView } from "../file-view";
import { finding } from "../finding";

interface Parameter {
  name: string;
  optional: boolean;
  type: string;
}

interface Surface {
  kind: string;
  line: number;
  /** Functions: their parameters; null for what has no call signature. */
  parameters: Parameter[] | null;
  /** Classes and interfaces: their public member names. */
  members: string[];
}

let project: Project | null = null;

function parser(): Project {
  project ??= new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: true }, skipLoadingLibFiles: true });
  return project;
}

function parametersOf(parameters: ParameterDeclaration[]): Parameter[] {
  return parameters.map((p) => ({
    name: p.getName(),
    optional: p.isOptional() || p.hasInitializer() || p.isRestParameter(),
    type: (p.getTypeNode()?.getText() ?? "").replace(/\s+/g, ""),
  }));
}

function surfaceOf(node: Node): Surface {
  const line = node.getStartLineNumber();
  if (Node.isFunctionDeclaration(node) || Node.isArrowFunction(node) || Node.isFunctionExpression(node)) {
    return { kind: "function", line, parameters: parametersOf(node.getParameters()), members: [] };
  }
  if (Node.isVariableDeclaration(node)) {
    const init = node.getInitializer();
    if (init && (Node.isArrowFunction(init) || Node.isFunctionExpression(init))) return { kind: "function", line, parameters: parametersOf(init.getParameters()), members: [] };
    return { kind: "const", line, parameters: null, members: [] };
  }
  if (Node.isClassDeclaration(node)) {
    const isPublic = (m: Node) => !(Node.isModifierable(m) && (m.hasModifier(SyntaxKind.PrivateKeyword) || m.hasModifier(SyntaxKind.ProtectedKeyword)));
    const names = node
      .getMembers()
      .filter((m) => !Node.isConstructorDeclaration(m) && isPublic(m))
      .map((m) => (Node.hasName(m) ? m.getName() : ""))
      .filter((name) => name && !name.startsWith("#"));
    return { kind: "class", line, parameters: null, members: names };
  }
  if (Node.isInterfaceDeclaration(node)) {
    return { kind: "interface", line, parameters: null, members: node.getMembers().map((m) => (Node.hasName(m) ? m.getName() : "")).filter(Boolean) };
  }
  return { kind: node.getKindName().replace(/Declaration$/, "").toLowerCase(), line, parameters: null, members: [] };
}

function exportsOf(file: SourceFile): Map<string, Surface> {
  const surfaces = new Map<string, Surface>();
  for (const [name, declarations] of file.getExportedDeclarations()) {
    // Overloads and merged declarations: the first one stands for the name.
    if (declarations[0]) surfaces.set(name, surfaceOf(declarations[0]));
  }
  return surfaces;
}

/** Why a changed call signature breaks callers, or null when old calls still type-check. */
function breakingChange(before: Parameter[], after: Parameter[]): string | null {
  for (let i = 0; i < after.length; i++) {
    const old = before[i];
    if (!old) {
      if (!after[i].optional) return `adds the required parameter ${after[i].name}`;
      continue;
    }
    if (old.optional && !after[i].optional) return `makes the parameter ${after[i].name} required`;
    if (old.type && after[i].type && old.type !== after[i].type) return `changes the type of parameter ${after[i].name} from ${old.type} to ${after[i].type}`;
  }
  if (before.length > after.length && !before.slice(after.length).every((p) => p.optional)) return `removes the parameter ${before[after.length].name}`;
  return null;
}

export function detectTypeScriptApiBreaks(view: FileView): RuleFinding[] {
  if (!view.source || view.isTest || !JS_EXTENSIONS.has(extensionOf(view.path))) return [];
  const { base, head } = view.source;
  if (base === null) return [];
  const ext = extensionOf(view.path);
  const project = parser();
  const before = project.createSourceFile(`/base/module.${ext}`, base, { overwrite: true });
  const after = head === null ? null : project.createSourceFile(`/head/module.${ext}`, head, { overwrite: true });
  try {
    const old = exportsOf(before);
    const now = after ? exportsOf(after) : new Map<string, Surface>();
    const findings: RuleFinding[] = [];
    for (const [name, was] of old) {
      const is = now.get(name);
      if (!is) {
        findings.push(finding("api_break", "export-removed", "high", view.oldPath, was.line, `Removes the exported ${was.kind} ${name}: modules that import it break.`));
        continue;
      }
      if (was.parameters && is.parameters) {
        const why = breakingChange(was.parameters, is.parameters);
        if (why) findings.push(finding("api_break", "signature-changed", "high", view.path, is.line, `The exported function ${name} ${why}: existing callers break.`));
      }
      const gone = was.members.filter((m) => !is.members.includes(m));
      if (gone.length > 0) findings.push(finding("api_break", "member-removed", "high", view.path, is.line, `Removes ${gone.slice(0, 5).join(", ")}${gone.length > 5 ? "…" : ""} from the exported ${was.kind} ${name}.`));
    }
    return findings;
  } finally {
    project.removeSourceFile(before);
    if (after) project.removeSourceFile(after);
  }
}
