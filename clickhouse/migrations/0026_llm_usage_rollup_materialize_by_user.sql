-- Build the projection for the parts stored before it existed (new parts get it as written).
ALTER TABLE ${database}.llm_usage_rollup MATERIALIZE PROJECTION by_user SETTINGS mutations_sync = 2
