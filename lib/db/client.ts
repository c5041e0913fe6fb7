import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";
import { env } from "../env";

export type Db = PrismaClient;
export type { Prisma } from "./generated/client";

export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}

// One client per process; kept on globalThis so hot reload in development does not leak pools.
const holder = globalThis as unknown as { flowgatePrisma?: PrismaClient };

/** The process's Prisma client, created on first use so `next build` needs no DATABASE_URL. */
export function db(): PrismaClient {
  holder.flowgatePrisma ??= createPrismaClient(env().DATABASE_URL);
  return holder.flowgatePrisma;
}
