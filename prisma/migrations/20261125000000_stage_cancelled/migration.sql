-- A stage attempt of a run that was superseded before or while it ran.
ALTER TYPE "StageStatus" ADD VALUE 'cancelled';
