-- The contract's `subject_usage_daily` reads the rollup: one row per (day, subject) stored.
CREATE OR REPLACE VIEW ${database}.subject_usage_daily AS
SELECT day, subject, users, events
FROM ${database}.subject_usage_rollup FINAL
WHERE events > 0
