/**
 * HTTP routes compared as sets, from the whole base and head files: a route the base file
 * registers and the head file does not is an API break, wherever in the file the registration was
 * and whatever the diff's context shows. Registrations are read line by line with the line rules'
 * patterns (Express/Koa/Fastify, Flask/FastAPI, Django urls.py, Go ServeMux/gorilla/gin/echo,
 * Spring, Laravel, Rails routes files); Next.js route handlers are exports, which the TypeScript
 * API engine compares.
 *
 * Runs when the repository was readable (FileView.source).
 */
import type { RuleFinding } from "../../../lib/review/review-output";
import { isSourcePath, type FileView } from "../file-view";
import { finding } from "../finding";
import { isRailsRoutesFile, routeDeclarations, type Declaration } from "./api-surface";

/** Files whose lines may register routes: source files, and Rails' and Laravel's route files. */
export function mayRegisterRoutes(path: string): boolean {
  return isSourcePath(path) || /\.php$/.test(path) || isRailsRoutesFile(path);
}

function routesOf(text: string, path: string): Declaration[] {
  return text.split("\n").flatMap((content, i) => (content.length > 4096 ? [] : routeDeclarations(content, i + 1, path)));
}

export function detectRemovedRoutes(view: FileView): RuleFinding[] {
  if (!view.source || view.source.base === null || view.isTest || !mayRegisterRoutes(view.oldPath)) return [];
  const before = routesOf(view.source.base, view.oldPath);
  if (before.length === 0) return [];
  const after = new Set(view.source.head === null ? [] : routesOf(view.source.head, view.path).map((r) => r.name));
  return before
    .filter((route) => !after.has(route.name))
    .map((route) => finding("api_break", "route-removed", "high", view.oldPath, route.line, `The route ${route.name} is no longer registered (base and head files compared): its clients break.`));
}
