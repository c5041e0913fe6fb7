-- CreateIndex
CREATE INDEX "StageRun_queuedAt_idx" ON "StageRun"("queuedAt");

-- CreateIndex
CREATE INDEX "Escalation_createdAt_idx" ON "Escalation"("createdAt");

-- CreateIndex
CREATE INDEX "Escalation_decidedAt_idx" ON "Escalation"("decidedAt");

-- CreateIndex
CREATE INDEX "Deployment_environment_startedAt_idx" ON "Deployment"("environment", "startedAt");
