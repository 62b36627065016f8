-- Rolling DAU now reads user_activity_rollup (0023), so nothing reads by_ts any more; every insert
-- into events_store paid for a second sorted copy of (user_id, ts). Drop it.
ALTER TABLE ${database}.events_store DROP PROJECTION IF EXISTS by_ts
