-- Rows stored before 0037 are written with their key, instead of computing it at every read.
ALTER TABLE ${database}.user_activity_rollup MATERIALIZE COLUMN user_key SETTINGS mutations_sync = 2
