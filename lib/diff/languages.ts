/** What a reviewer calls the language of a file, from its extension; enough for a summary line. */
const languageByExtension: Record<string, string> = {
  ts: "TypeScript",
  tsx: "TypeScript",
  mts: "TypeScript",
  cts: "TypeScript",
  js: "JavaScript",
  jsx: "JavaScript",
  mjs: "JavaScript",
  cjs: "JavaScript",
  py: "Python",
  rb: "Ruby",
  go: "Go",
  rs: "Rust",
  java: "Java",
  kt: "Kotlin",
  swift: "Swift",
  c: "C",
  h: "C",
  cc: "C++",
  cpp: "C++",
  hpp: "C++",
  cs: "C#",
  php: "PHP",
  sql: "SQL",
  sh: "Shell",
  bash: "Shell",
  json: "JSON",
  yml: "YAML",
  yaml: "YAML",
  toml: "TOML",
  md: "Markdown",
  css: "CSS",
  scss: "CSS",
  html: "HTML",
  prisma: "Prisma",
  graphql: "GraphQL",
  proto: "Protocol Buffers",
  tf: "Terraform",
};

export function extensionOf(path: string): string {
  const base = path.split("/").pop() ?? path;
  if (base === "Dockerfile") return "dockerfile";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

export function languageOf(path: string): string | null {
  const ext = extensionOf(path);
  if (ext === "dockerfile") return "Dockerfile";
  return languageByExtension[ext] ?? null;
}

/** Distinct languages of the changed files, most files first. */
export function languagesOf(paths: string[]): string[] {
  const counts = new Map<string, number>();
  for (const path of paths) {
    const language = languageOf(path);
    if (language) counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([language]) => language);
}
