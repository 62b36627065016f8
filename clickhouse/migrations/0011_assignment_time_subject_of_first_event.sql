-- assignment_time.subject is the subject of the pair's first event by event time (ties: the
-- smallest non-empty subject), NULL when that event names none, so arrival order never matters.
CREATE OR REPLACE VIEW ${database}.assignment_time AS
SELECT
    user_id,
    assignment_id,
    nullIf(argMin(subject, (ts, subject = '', subject)), '') AS subject,
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
