-- The contract's `events`: one row per event_id, settled whatever the merge state.
CREATE VIEW IF NOT EXISTS ${database}.events AS
SELECT event_id, event, user_id, ts, received_at, source, session_id, subject, assignment_id,
       metadata, request_id
FROM ${database}.events_store FINAL
