-- One row per event carrying metadata.subject (keyed by event_id): facts of subject_usage_daily.
CREATE TABLE IF NOT EXISTS ${database}.subject_events
(
    day      Date,
    subject  LowCardinality(String),
    user_id  String,
    event_id UUID
)
-- Replacing: a redelivered or resent event has the same key and counts once.
ENGINE = ReplacingMergeTree
-- Monthly partitions, like events_store, so that retention drops both alike.
PARTITION BY toYYYYMM(day)
-- Grouping columns of subject_usage_daily first, event_id last so that duplicates share the key.
ORDER BY (day, subject, event_id)
-- Same retention as events_store so both describe the same events.
TTL day + INTERVAL ${retention_days} DAY
