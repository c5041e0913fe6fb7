import { CLI_ACTOR, note, required, type DatabaseCommand } from "../support";

export const tokenRevoke: DatabaseCommand = {
  name: "token revoke",
  usage: ["token revoke <token-id>"],
  async run({ db, rest }) {
    const { revokeApiTokenOrThrow } = await import("../../../lib/auth/api-tokens");
    const record = await revokeApiTokenOrThrow(db, { tokenId: required(rest[0], "token id"), actor: CLI_ACTOR });
    note(`revoked token ${record.id} (${record.name})`);
  },
};
