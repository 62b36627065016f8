-- Rollup behind the contract's `subject_usage_daily`: one row per (UTC day, subject) with the
-- absolute distinct users and events recomputed from subject_events for every key a batch
-- touched. `version` as in dau_rollup.
CREATE TABLE IF NOT EXISTS ${database}.subject_usage_rollup
(
    day     Date,
    subject LowCardinality(String),
    users   UInt64,
    events  UInt64,
    version UInt64
)
-- Replacing by version: the newest recompute of a key is its answer.
ENGINE = ReplacingMergeTree(version)
-- No partitions: days x subjects is small (tens of thousands of rows a year).
ORDER BY (day, subject)
-- Same retention as the facts it is computed from.
TTL day + INTERVAL ${retention_days} DAY
