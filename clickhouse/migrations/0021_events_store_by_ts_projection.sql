-- (user_id, ts) sorted by event time: rolling windows read only the hours they need at their
-- edges (see clickhouse/rollups.py, rolling DAU), where the table's own order (user first)
-- would read every row of the months they touch.
ALTER TABLE ${database}.events_store ADD PROJECTION IF NOT EXISTS by_ts (SELECT user_id, ts ORDER BY ts)
