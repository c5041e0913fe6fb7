import { Prisma } from "./generated/client";

/**
 * One statement that runs `writes` (INSERT, UPDATE or DELETE, without RETURNING needed) as
 * data-modifying CTEs before `main`: a single round trip for writes that must commit together.
 * PostgreSQL runs every data-modifying CTE to completion whether or not `main` reads it; all of
 * them see the same snapshot, so none may depend on another's effect.
 */
export function withWrites(writes: Prisma.Sql[], main: Prisma.Sql): Prisma.Sql {
  if (writes.length === 0) return main;
  const ctes = writes.map((write, i) => Prisma.sql`${Prisma.raw(`write_${i}`)} AS (${write})`);
  return Prisma.sql`WITH ${Prisma.join(ctes, ", ")} ${main}`;
}
