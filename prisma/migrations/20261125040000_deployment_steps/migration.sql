-- CreateEnum
CREATE TYPE "DeploymentStepKind" AS ENUM ('deploy', 'smoke_check', 'set_weight', 'evaluation', 'promote', 'rollback', 'resume', 'notification');

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "analysis" JSONB,
ADD COLUMN     "stageRunId" TEXT;

-- CreateTable
CREATE TABLE "DeploymentStep" (
    "id" BIGSERIAL NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" "DeploymentStepKind" NOT NULL,
    "weight" DOUBLE PRECISION,
    "verdict" TEXT,
    "summary" TEXT NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "DeploymentStep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DeploymentStep_deploymentId_id_idx" ON "DeploymentStep"("deploymentId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Deployment_stageRunId_key" ON "Deployment"("stageRunId");

-- AddForeignKey
ALTER TABLE "DeploymentStep" ADD CONSTRAINT "DeploymentStep_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;
