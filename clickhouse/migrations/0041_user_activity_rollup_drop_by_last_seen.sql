-- by_last_seen_key (0039) holds every column by_last_seen did; every insert paid for both.
ALTER TABLE ${database}.user_activity_rollup DROP PROJECTION IF EXISTS by_last_seen
