-- The contract's `subject_usage_daily`: distinct users and events per UTC day and subject.
CREATE VIEW IF NOT EXISTS ${database}.subject_usage_daily AS
SELECT day, subject, toUInt64(uniqExact(user_id)) AS users, count() AS events
FROM ${database}.subject_events FINAL
GROUP BY day, subject
