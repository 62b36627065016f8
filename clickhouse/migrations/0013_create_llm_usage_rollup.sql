-- Rollup behind the contract's `llm_usage_daily`: one row per (UTC day, user, model) with the
-- absolute sums recomputed from llm_calls for every key a batch touched; replays rewrite the same
-- values. `version` as in dau_rollup.
CREATE TABLE IF NOT EXISTS ${database}.llm_usage_rollup
(
    day               Date,
    user_id           String,
    model             LowCardinality(String),
    calls             UInt64,
    prompt_tokens     UInt64,
    completion_tokens UInt64,
    cost_usd          Float64,
    version           UInt64
)
-- Replacing by version: the newest recompute of a key is its answer.
ENGINE = ReplacingMergeTree(version)
-- Monthly partitions like the facts, so retention drops both alike and a month reads alone.
PARTITION BY toYYYYMM(day)
-- The key of the contract's table, day first so that a date range reads a prefix.
ORDER BY (day, user_id, model)
-- Same retention as the facts it is computed from.
TTL day + INTERVAL ${retention_days} DAY
