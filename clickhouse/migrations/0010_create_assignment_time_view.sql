-- The contract's `assignment_time`: per (user, assignment), the pair's events sorted by event
-- time, each gap capped at 300 s and summed (in integer milliseconds, so the sum is exact);
-- computed at read time, so events arriving late or out of order are never lost.
CREATE VIEW IF NOT EXISTS ${database}.assignment_time AS
SELECT
    user_id,
    assignment_id,
    argMax(subject, ts) AS subject,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    toFloat64(sum(least(gap_ms, 300000))) / 1000 AS active_seconds,
    toUInt8(max(submitted)) AS submitted
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
