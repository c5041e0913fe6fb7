import { z } from "zod";

/**
 * Deployment.incidentReport, written by the deployment agent after a rollback. Each field is read
 * on its own: a report with one malformed field still shows the others, and names the bad one.
 */
const fieldSchemas = {
  title: z.string(),
  summary: z.string(),
  /** "heuristic" or "anthropic": who wrote the hypothesis. */
  provider: z.string(),
  hypothesis: z.string(),
  timeline: z.array(z.object({ at: z.string(), event: z.string() })),
  trippedMetric: z
    .object({ name: z.string(), value: z.number(), threshold: z.number(), unit: z.string().nullable().optional(), at: z.string() })
    .nullable(),
  suspectFiles: z.array(z.object({ path: z.string(), reason: z.string() })),
  notifications: z.array(z.object({ channel: z.string(), status: z.string() })),
};
type Fields = typeof fieldSchemas;
export type IncidentReport = { [K in keyof Fields]?: z.infer<Fields[K]> };
export type IncidentReportField = keyof Fields;

export type ParsedIncidentReport =
  | { state: "absent" }
  | { state: "unreadable"; problems: string[] }
  | { state: "ok"; report: IncidentReport; unreadableFields: IncidentReportField[] };

export function parseIncidentReport(stored: unknown): ParsedIncidentReport {
  if (stored === null || stored === undefined) return { state: "absent" };
  if (typeof stored !== "object" || Array.isArray(stored)) return { state: "unreadable", problems: ["(root): expected an object"] };
  const raw = stored as Record<string, unknown>;
  const report: Record<string, unknown> = {};
  const unreadableFields: IncidentReportField[] = [];
  for (const field of Object.keys(fieldSchemas) as IncidentReportField[]) {
    if (!(field in raw)) continue;
    const result = fieldSchemas[field].safeParse(raw[field]);
    if (result.success) report[field] = result.data;
    else unreadableFields.push(field);
  }
  return { state: "ok", report: report as IncidentReport, unreadableFields };
}
