-- The contract's `dau`: distinct users with an event on each UTC day. uniqExact is exact even
-- before duplicate facts merge, so no FINAL is needed.
CREATE VIEW IF NOT EXISTS ${database}.dau AS
SELECT day, toUInt64(uniqExact(user_id)) AS dau
FROM ${database}.dau_users
GROUP BY day
ORDER BY day
