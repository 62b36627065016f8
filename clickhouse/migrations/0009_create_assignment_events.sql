-- One row per assignment.* event (keyed by event_id): the facts behind assignment_time.
CREATE TABLE IF NOT EXISTS ${database}.assignment_events
(
    user_id       String,
    assignment_id String,
    ts            DateTime64(3, 'UTC'),
    event_id      UUID,
    subject       LowCardinality(String),
    submitted     UInt8
)
-- Replacing: a redelivered or resent event has the same key and counts once.
ENGINE = ReplacingMergeTree
-- Monthly partitions, like events_store, so that retention drops both alike.
PARTITION BY toYYYYMM(ts)
-- A (user, assignment) pair's events are stored in event-time order, the order the
-- assignment_time window reads them in; event_id last so that duplicates share the key.
ORDER BY (user_id, assignment_id, ts, event_id)
-- Same retention as events_store so both describe the same events.
TTL toDateTime(ts) + INTERVAL ${retention_days} DAY
