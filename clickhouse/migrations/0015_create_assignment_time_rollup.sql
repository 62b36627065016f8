-- Rollup behind the contract's `assignment_time`: one row per (user, assignment) pair, the
-- pair's absolute figures recomputed from all its assignment_events whenever a batch touched the
-- pair, so disorder of any depth and historical imports give the exact answer. `events` is 0 for
-- a pair whose facts are gone (erased); `version` as in dau_rollup.
CREATE TABLE IF NOT EXISTS ${database}.assignment_time_rollup
(
    user_id        String,
    assignment_id  String,
    subject        Nullable(String),
    first_ts       DateTime64(3, 'UTC'),
    last_ts        DateTime64(3, 'UTC'),
    active_seconds Float64,
    submitted      UInt8,
    events         UInt64,
    version        UInt64
)
-- Replacing by version: the newest recompute of a pair is its answer.
ENGINE = ReplacingMergeTree(version)
-- No partitions: a pair spans months, and it must stay one row whatever its dates.
ORDER BY (user_id, assignment_id)
-- A pair leaves when its newest event leaves the facts' retention.
TTL toDateTime(last_ts) + INTERVAL ${retention_days} DAY
