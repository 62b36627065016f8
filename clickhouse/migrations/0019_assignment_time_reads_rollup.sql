-- The contract's `assignment_time` reads the rollup: one row per (user, assignment) pair stored.
CREATE OR REPLACE VIEW ${database}.assignment_time AS
SELECT user_id, assignment_id, subject, first_ts, last_ts, active_seconds, submitted
FROM ${database}.assignment_time_rollup FINAL
WHERE events > 0
