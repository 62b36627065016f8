-- Build the projection of 0039 for the parts stored before it.
ALTER TABLE ${database}.user_activity_rollup MATERIALIZE PROJECTION by_last_seen_key SETTINGS mutations_sync = 2
