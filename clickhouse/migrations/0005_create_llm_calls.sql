-- One row per llm.call event (keyed by event_id): the facts behind llm_usage_daily.
CREATE TABLE IF NOT EXISTS ${database}.llm_calls
(
    day                    Date,
    user_id                String,
    model                  LowCardinality(String),
    event_id               UUID,
    prompt_token_count     UInt64,
    completion_token_count UInt64,
    call_cost_usd          Float64
)
-- Replacing: a redelivered or resent call has the same key and counts once.
ENGINE = ReplacingMergeTree
-- Monthly partitions, like events_store, so that retention drops both alike.
PARTITION BY toYYYYMM(day)
-- Grouping columns of llm_usage_daily first, event_id last so that duplicates share the key.
ORDER BY (day, user_id, model, event_id)
-- Same retention as events_store so both describe the same events.
TTL day + INTERVAL ${retention_days} DAY
