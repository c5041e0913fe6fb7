import type { DatabaseCommand } from "../support";

export const tokenList: DatabaseCommand = {
  name: "token list",
  usage: ["token list"],
  async run({ db }) {
    const { tokenListSelect } = await import("../../../lib/auth/api-tokens");
    const tokens = await db.apiToken.findMany({ orderBy: { createdAt: "desc" }, select: tokenListSelect });
    for (const t of tokens) {
      const state = t.revokedAt ? "revoked" : t.expiresAt && t.expiresAt < new Date() ? "expired" : "active";
      process.stdout.write(`${t.id}\t${t.tokenPrefix}…\t${t.user.email}\t${t.name}\t${t.scopes.join(",")}\t${state}\n`);
    }
  },
};
