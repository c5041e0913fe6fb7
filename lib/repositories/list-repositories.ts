import type { Db } from "../db/client";
import type { Json } from "../json";
import { deploySettingsOf } from "./deploy-settings";
import { testSettingsOf } from "./test-settings";

/** The registered repositories with their effective test and deploy settings, by name. */
export async function listRepositories(db: Db) {
  const repositories = await db.repository.findMany({
    orderBy: { name: "asc" },
    select: { id: true, name: true, kind: true, location: true, defaultBranch: true, createdAt: true, settings: true },
  });
  return repositories.map(({ settings, ...repository }) => ({ ...repository, test: testSettingsOf(settings), deploy: deploySettingsOf(settings) }));
}

/** A repository as GET /api/v1/repositories lists it. */
export type RepositoryRow = Json<Awaited<ReturnType<typeof listRepositories>>[number]>;
