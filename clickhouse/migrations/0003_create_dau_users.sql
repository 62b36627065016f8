-- Fact "user was active on day": one row per (day, user_id), whatever the number of events.
CREATE TABLE IF NOT EXISTS ${database}.dau_users
(
    day     Date,
    user_id String
)
-- Replacing: the same fact emitted again (redelivery, duplicates, other events) collapses.
ENGINE = ReplacingMergeTree
-- Monthly partitions, like events_store, so that retention drops both alike.
PARTITION BY toYYYYMM(day)
-- The fact is its own key: (day, user_id) rows count distinct users per day.
ORDER BY (day, user_id)
-- Same retention as events_store so both describe the same events.
TTL day + INTERVAL ${retention_days} DAY
