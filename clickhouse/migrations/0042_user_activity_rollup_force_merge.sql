-- Parts older than 10 minutes are merged whatever the merge selector prefers, so a user's rows
-- collapse to about one: rolling DAU reads a row per user and recent part, not per part ever
-- written (the selector left 8 parts, 3 rows a user, after a 10M-event load). The table is one
-- row per user (70 MiB at 2M users), so merging it whole is cheap.
ALTER TABLE ${database}.user_activity_rollup MODIFY SETTING min_age_to_force_merge_seconds = 600
