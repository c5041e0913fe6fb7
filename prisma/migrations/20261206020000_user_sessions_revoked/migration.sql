-- "Sign out everywhere" (lib/users/update-user.ts): sessions signed in before this are refused.
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "sessionsRevokedAt" TIMESTAMP(3);
