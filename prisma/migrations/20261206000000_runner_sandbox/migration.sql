-- How each runner runs pull-request code (agents/sandbox): shown in Settings, red when unsandboxed.
-- AlterTable
ALTER TABLE "RunnerHeartbeat" ADD COLUMN     "sandbox" JSONB;
