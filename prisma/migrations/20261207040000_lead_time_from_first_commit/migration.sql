-- Lead time now starts at the pull request's first commit when the code host reports it
-- (lib/metrics/sql-scope.ts leadStartSql): every rolled-up day is computed again.
DELETE FROM "MetricsRollupDay";
