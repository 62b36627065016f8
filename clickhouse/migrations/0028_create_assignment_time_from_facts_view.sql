-- The one definition of the contract's assignment_time figures, over the deduplicated facts: per
-- (user, assignment), the pair's events sorted by event time, each gap capped at 300 s and summed
-- in integer milliseconds (exact); subject of the first event by event time (ties: the smallest
-- non-empty one), NULL when it names none; `events` counts the pair's facts. The worker's
-- recompute and the rebuild (clickhouse/rollups.py) read it with a filter on the user, which
-- ClickHouse pushes below the window (its PARTITION BY starts with user_id), so a recompute
-- reads only the touched users' facts. Migration 0011 held the same figures as the contract's
-- view before the rollups; 0019 replaced that view.
CREATE OR REPLACE VIEW ${database}.assignment_time_from_facts AS
SELECT
    user_id,
    assignment_id,
    nullIf(argMin(subject, (ts, subject = '', subject)), '') AS subject,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    toFloat64(sum(least(gap_ms, 300000))) / 1000 AS active_seconds,
    toUInt8(max(submitted)) AS submitted,
    count() AS events
FROM
(
    SELECT
        user_id,
        assignment_id,
        subject,
        ts,
        submitted,
        toUnixTimestamp64Milli(ts) - lagInFrame(toUnixTimestamp64Milli(ts), 1, toUnixTimestamp64Milli(ts))
            OVER (PARTITION BY user_id, assignment_id ORDER BY ts, event_id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS gap_ms
    FROM ${database}.assignment_events FINAL
)
GROUP BY user_id, assignment_id
