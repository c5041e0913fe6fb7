/**
 * The risk floor: the minimum risk the rules' findings justify. The LLM may raise risk above it,
 * never lower it, and the policy escalates at or above its threshold (7 by default).
 */
import type { RuleCategory, RuleFinding } from "../../lib/review/review-output";

/**
 * The floor table: each row that applies sets a minimum, and the floor is the highest of them.
 *
 *   nothing found ........................ 1
 *   untested_change ...................... 3
 *   auth_change, large_change ............ 5
 *   new_integration ...................... 6
 *   api_break, schema_change, cors_open .. 7
 *   schema_change that drops (critical) .. 8
 *   sql, command and code injection, XSS,
 *   path traversal, SSRF, unsafe
 *   deserialization, TLS verification off,
 *   CSRF protection off, weakened auth,
 *   a removed safeguard .................. 8
 *   hardcoded_secret ..................... 9
 *   any critical finding ................. 9
 *   then +1 (at most 10) when 3 or more distinct high/critical findings
 *   a category whose findings are all low severity counts at most 3
 */
const FLOOR_BY_CATEGORY: Record<RuleCategory, number> = {
  untested_change: 3,
  auth_change: 5,
  large_change: 5,
  new_integration: 6,
  api_break: 7,
  schema_change: 7,
  cors_open: 7,
  sql_injection: 8,
  command_injection: 8,
  code_injection: 8,
  xss: 8,
  path_traversal: 8,
  ssrf: 8,
  deserialization: 8,
  tls_disabled: 8,
  csrf_disabled: 8,
  auth_weakened: 8,
  removed_safeguard: 8,
  hardcoded_secret: 9,
};
const CRITICAL_FLOOR = 9;
const LOW_FLOOR = 3;
const SCHEMA_DROP_FLOOR = 8;
const PILE_UP_COUNT = 3;

/** The risk floor and the table rows that produced it, for a reader of the review. */
export function explainRiskFloor(findings: readonly RuleFinding[]): { floor: number; reasons: string[] } {
  let floor = 1;
  const reasons: string[] = [];
  const raise = (to: number, why: string) => {
    if (to > floor) floor = to;
    reasons.push(`${why} → at least ${to}`);
  };
  // A low-severity finding informs: it counts at most LOW_FLOOR whatever its category (a
  // placeholder credential is a hard-coded secret in name only).
  for (const category of Object.keys(FLOOR_BY_CATEGORY) as RuleCategory[]) {
    const inCategory = findings.filter((f) => f.category === category);
    if (inCategory.some((f) => f.severity !== "low")) raise(FLOOR_BY_CATEGORY[category], category);
    else if (inCategory.length > 0) raise(Math.min(FLOOR_BY_CATEGORY[category], LOW_FLOOR), `${category} (low severity only)`);
  }
  if (findings.some((f) => f.category === "schema_change" && f.severity === "critical")) raise(SCHEMA_DROP_FLOOR, "destructive schema change");
  if (findings.some((f) => f.severity === "critical")) raise(CRITICAL_FLOOR, "critical finding");
  const serious = findings.filter((f) => f.severity === "high" || f.severity === "critical").length;
  if (serious >= PILE_UP_COUNT && floor < 10) {
    floor += 1;
    reasons.push(`${serious} high/critical findings → +1`);
  }
  return { floor, reasons };
}

