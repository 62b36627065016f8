-- Every accepted event, one row per event_id once merged (read it through the `events` view).
CREATE TABLE IF NOT EXISTS ${database}.events_store
(
    event_id        UUID,
    event           LowCardinality(String),
    user_id         String,
    ts              DateTime64(3, 'UTC'),
    received_at     DateTime64(3, 'UTC'),
    source          LowCardinality(String),
    session_id      String,
    subject         LowCardinality(String),
    assignment_id   String,
    metadata        String,
    request_id      String,
    kafka_partition Int32,
    kafka_offset    Int64
)
-- Replacing: a redelivered or resent event has the same sorting key and collapses to one row.
ENGINE = ReplacingMergeTree
-- Monthly partitions: few parts per insert even for historical imports, and retention drops
-- whole months cheaply.
PARTITION BY toYYYYMM(ts)
-- Per-user time ranges (user summaries, exports) read a narrow slice; event_id last so that
-- duplicates of one event share the key and merge away.
ORDER BY (user_id, ts, event_id)
-- Retention on event time (PULSE_RETENTION_DAYS, 90 by default); change it later with
-- ALTER TABLE ... MODIFY TTL.
TTL toDateTime(ts) + INTERVAL ${retention_days} DAY
