-- Rollup behind rolling DAU and the user summary: one row per user once merged. The worker
-- inserts, per stored batch, each user's earliest and latest event time and days of that batch;
-- min, max and a set of days are the same however often a batch is replayed and in whatever
-- order batches arrive, so nothing is recomputed and nothing doubles. Every stored last_seen is
-- the time of a real event (the newest of its batch), which is what makes rolling DAU exact
-- from it (see clickhouse/rollups.py).
CREATE TABLE IF NOT EXISTS ${database}.user_activity_rollup
(
    user_id     String,
    first_seen  SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen   SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    active_days AggregateFunction(uniqExact, Date),
    -- Rolling windows read only the users last seen inside them, in event-time order.
    PROJECTION by_last_seen (SELECT user_id, last_seen ORDER BY last_seen)
)
-- Aggregating: a user's rows (one per batch that saw the user) merge into one.
ENGINE = AggregatingMergeTree
-- No partitions: one row per user, whatever the dates; a user's summary reads one key.
ORDER BY user_id
-- A user leaves once the newest event leaves the facts' retention.
TTL toDateTime(last_seen) + INTERVAL ${retention_days} DAY
-- A merge rebuilds the projection from the merged rows, so it always matches its part.
SETTINGS deduplicate_merge_projection_mode = 'rebuild'
