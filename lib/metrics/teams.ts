/**
 * Teams, by author group. Flowgate has no team model, so a pull request's team is derived from its
 * author's email (docs/decisions/008-metrics-definitions.md):
 *   1. the repository's own mapping, `Repository.settings.teams`, by full address
 *      (`{"ana@acme.com": "payments"}`) or by domain (`{"@contractor.io": "platform"}`);
 *   2. otherwise the first label of the email's domain: `ana@payments.acme.com` → `payments`;
 *   3. otherwise (no `@`) `unassigned`.
 * The same rule exists twice, here for plain code and below as SQL, and a test holds them equal.
 */
export const UNASSIGNED_TEAM = "unassigned";

export type TeamMapping = Record<string, string>;

/** The `teams` mapping from a repository's settings JSON, ignoring anything malformed. */
export function teamMappingOf(settings: unknown): TeamMapping {
  const teams = (settings as { teams?: unknown } | null)?.teams;
  if (!teams || typeof teams !== "object" || Array.isArray(teams)) return {};
  return Object.fromEntries(Object.entries(teams).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== ""));
}

export function teamOf(author: string, mapping: TeamMapping = {}): string {
  const email = author.trim().toLowerCase();
  const domain = email.includes("@") ? email.split("@")[1] : "";
  const mapped = mapping[email] ?? (domain ? mapping[`@${domain}`] : undefined);
  if (mapped) return mapped;
  const label = domain.split(".")[0];
  return label || UNASSIGNED_TEAM;
}

/**
 * `teamOf` in SQL, over a query that has the pull request as `pr` and its repository as `repo`.
 * split_part(x, '@', 2) is '' when there is no '@', as in teamOf.
 */
export const teamSql = `COALESCE(
    NULLIF(repo.settings->'teams'->>lower(btrim(pr.author)), ''),
    NULLIF(repo.settings->'teams'->>NULLIF('@' || split_part(lower(btrim(pr.author)), '@', 2), '@'), ''),
    NULLIF(split_part(split_part(lower(btrim(pr.author)), '@', 2), '.', 1), ''),
    '${UNASSIGNED_TEAM}')`;
