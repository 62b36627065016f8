-- Rollup behind the contract's `assignment_time`, kept by ClickHouse itself as facts arrive: one
-- row per (user, assignment) pair once merged, holding mergeable parts instead of figures. A
-- pair's active time needs its events' times in order, so it keeps the set of its distinct event
-- times (ms); the figures are computed from the merged row when read (0031). Every column is a
-- min, a max or a set union: an event inserted twice (a replay, a resend), in any order,
-- months late or split over any batches, leaves the merged state unchanged, so nothing is ever
-- recomputed and the work per batch is the batch. Two events of a pair at the same millisecond
-- keep one time: the gap between them is 0 either way, so the sum of capped gaps is the same.
CREATE TABLE IF NOT EXISTS ${database}.assignment_pair_rollup
(
    user_id       String,
    assignment_id String,
    first_ts      SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ts       SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    -- The pair's distinct event times in epoch milliseconds, merged by set union.
    times         SimpleAggregateFunction(groupUniqArrayArray, Array(Int64)),
    -- (time, subject is empty, subject) of the first event: the least such tuple names the
    -- subject of the earliest event, ties going to the smallest non-empty one (as 0011).
    first_subject SimpleAggregateFunction(min, Tuple(DateTime64(3, 'UTC'), UInt8, String)),
    submitted     SimpleAggregateFunction(max, UInt8)
)
ENGINE = AggregatingMergeTree
-- No partitions: a pair spans months, and its partial rows must be able to merge into one.
ORDER BY (user_id, assignment_id)
-- A pair's rows leave with its newest event's retention, as the facts' do.
TTL toDateTime(last_ts) + INTERVAL ${retention_days} DAY
