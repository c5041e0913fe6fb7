-- Code hosts (issue #18): repositories registered by an installation, the host's timestamps of a
-- pull request, and each webhook delivery recorded once.
ALTER TYPE "RepositoryKind" ADD VALUE 'github';
ALTER TYPE "RepositoryKind" ADD VALUE 'gitlab';

ALTER TABLE "Repository" ADD COLUMN "hostInstallationId" TEXT,
                         ADD COLUMN "hostRemovedAt" TIMESTAMP(3);

ALTER TABLE "PullRequest" ADD COLUMN "firstCommitAt" TIMESTAMP(3),
                          ADD COLUMN "mergedAt" TIMESTAMP(3),
                          ADD COLUMN "closedAt" TIMESTAMP(3);

CREATE TABLE "CodeHostDelivery" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "payloadHash" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status" TEXT NOT NULL DEFAULT 'received',
    "outcome" TEXT,
    "processedAt" TIMESTAMP(3),

    CONSTRAINT "CodeHostDelivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "CodeHostDelivery_host_deliveryId_key" ON "CodeHostDelivery"("host", "deliveryId");
CREATE INDEX "CodeHostDelivery_receivedAt_idx" ON "CodeHostDelivery"("receivedAt");
