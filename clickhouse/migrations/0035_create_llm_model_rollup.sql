-- Rollup behind `llm_usage_by_model_daily`: one row per (UTC day, model), the totals of that
-- day's (day, user, model) rows in llm_usage_rollup. A month of totals per model (Grafana's LLM
-- panels, the bench's month of LLM usage) then reads days x models rows, not one per user. The
-- worker recomputes the absolute totals of every (day, model) a batch touched, after the batch's
-- (day, user, model) rows; `version` as in dau_rollup.
CREATE TABLE IF NOT EXISTS ${database}.llm_model_rollup
(
    day               Date,
    model             LowCardinality(String),
    calls             UInt64,
    prompt_tokens     UInt64,
    completion_tokens UInt64,
    cost_usd          Float64,
    version           UInt64
)
-- Replacing by version: the newest recompute of a key is its answer.
ENGINE = ReplacingMergeTree(version)
-- Monthly partitions like llm_usage_rollup, so retention drops both alike.
PARTITION BY toYYYYMM(day)
ORDER BY (day, model)
-- Same retention as the facts it is computed from.
TTL day + INTERVAL ${retention_days} DAY
