-- The contract's `assignment_time` from the pair states (0029): per pair, its distinct event
-- times sorted, each gap capped at 300 s and summed in integer milliseconds (exact); subject of
-- the first event, NULL when it names none. A filter on user_id is pushed below the GROUP BY, so
-- one user's assignments read that user's rows of the rollup and nothing else.
CREATE OR REPLACE VIEW ${database}.assignment_time AS
SELECT
    user_id,
    assignment_id,
    nullIf(min(first_subject).3, '') AS subject,
    min(first_ts) AS first_ts,
    max(last_ts) AS last_ts,
    toFloat64(arraySum(gap -> least(gap, 300000),
        arrayDifference(arraySort(groupUniqArrayArray(times))))) / 1000 AS active_seconds,
    toUInt8(max(submitted)) AS submitted
FROM ${database}.assignment_pair_rollup
GROUP BY user_id, assignment_id
