-- Every insert into events_store adds its users' spans to user_activity_rollup (0023) in the same
-- INSERT, so the worker no longer builds them in Python: min, max and a set of days merge to the
-- same answer however often an event is inserted. Rows stored before this view existed are in
-- the rollup already (the worker wrote their spans, the backfill of 0023 the older ones).
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.user_activity_rollup_from_events_store
TO ${database}.user_activity_rollup
AS SELECT
    user_id,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    uniqExactState(toDate(ts)) AS active_days
FROM ${database}.events_store
GROUP BY user_id
