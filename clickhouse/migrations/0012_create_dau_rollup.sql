-- Rollup behind the contract's `dau`: one row per UTC day, its distinct-user count. The worker
-- rewrites the absolute count of every day a batch touched (recomputed from dau_users), so a
-- replay writes the same value again and nothing doubles; `version` is the ClickHouse clock at
-- the recompute, and a later recompute has read every fact an earlier one read.
CREATE TABLE IF NOT EXISTS ${database}.dau_rollup
(
    day     Date,
    dau     UInt64,
    version UInt64
)
-- Replacing by version: the newest recompute of a day is its answer.
ENGINE = ReplacingMergeTree(version)
-- No partitions: a few hundred rows a year; one part set is cheapest to read whole.
ORDER BY day
-- Same retention as the facts it is computed from.
TTL day + INTERVAL ${retention_days} DAY
