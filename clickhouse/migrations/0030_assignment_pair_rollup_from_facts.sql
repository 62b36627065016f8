-- Every insert into assignment_events adds its pairs' states to assignment_pair_rollup in the
-- same INSERT: a batch the worker stores is in the rollup when the insert returns, and a retried
-- insert adds the same states again, which merge to the same answer. Rows stored before this view
-- existed are added by the rollup backfill that applying 0029 runs.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.assignment_pair_rollup_from_facts
TO ${database}.assignment_pair_rollup
AS SELECT
    user_id,
    assignment_id,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    groupUniqArray(toUnixTimestamp64Milli(ts)) AS times,
    min((ts, toUInt8(subject = ''), toString(subject))) AS first_subject,
    max(submitted) AS submitted
FROM ${database}.assignment_events
GROUP BY user_id, assignment_id
