-- Build the projection for the parts stored before it existed (new parts get it as written).
ALTER TABLE ${database}.events_store MATERIALIZE PROJECTION by_ts SETTINGS mutations_sync = 2
