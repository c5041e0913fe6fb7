/**
 * Breaking changes in OpenAPI (and AsyncAPI) documents, compared as documents with api-smart-diff:
 * a removed operation, a new required parameter, a narrowed response. A line diff of a YAML file
 * cannot tell which edits break clients; the document comparison can.
 *
 * Runs when the repository was readable (FileView.source) and the file is an API description.
 */
import { apiDiff } from "api-smart-diff";
import { parse as parseYaml } from "yaml";
import type { RuleFinding } from "../../../lib/review/review-output";
import type { FileView } from "../file-view";
import { finding } from "../finding";

const API_DOCUMENT = /(?:^|\/)(?:openapi|swagger|asyncapi)[\w.-]*\.(?:ya?ml|json)$/i;

export const isApiDocumentPath = (path: string) => API_DOCUMENT.test(path);

function documentOf(text: string, path: string): unknown {
  // JSON is YAML, but JSON.parse is faster and stricter for .json files. maxAliasCount bounds the
  // "billion laughs" expansion of YAML aliases.
  return path.toLowerCase().endsWith(".json") ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
}

const isApiDocument = (doc: unknown) => typeof doc === "object" && doc !== null && ("openapi" in doc || "swagger" in doc || "asyncapi" in doc);

export function detectOpenApiBreaks(view: FileView): RuleFinding[] {
  if (!view.source || !isApiDocumentPath(view.path) || view.source.base === null) return [];
  const before = documentOf(view.source.base, view.path);
  if (!isApiDocument(before)) return [];
  if (view.source.head === null) return [finding("api_break", "openapi-document-removed", "high", view.oldPath, null, "Deletes the API description: every operation it documented is gone from the contract.")];
  const after = documentOf(view.source.head, view.path);
  const breaking = apiDiff(before, after).filter((d) => d.type === "breaking");
  if (breaking.length === 0) return [];
  const shown = breaking.slice(0, 5).map((d) => d.description ?? d.path.join("/"));
  const more = breaking.length > shown.length ? ` and ${breaking.length - shown.length} more` : "";
  return [finding("api_break", "openapi-breaking-change", "high", view.path, null, `Breaking API contract changes: ${shown.join("; ")}${more}.`)];
}
