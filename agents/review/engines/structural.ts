/** Placeholder: the structural (ast-grep) engine is being written; it finds nothing yet. */
import type { RuleFinding } from "../../../lib/review/review-output";
import type { FileView } from "../file-view";

export function detectStructurally(_view: FileView): RuleFinding[] {
  return [];
}
