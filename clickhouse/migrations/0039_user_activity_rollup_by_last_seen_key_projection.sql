-- Rolling windows read the users last seen inside them, in event-time order, by their key (and
-- by user_id for the few last seen at or after now); replaces by_last_seen (0023), dropped in 0041.
ALTER TABLE ${database}.user_activity_rollup
    ADD PROJECTION IF NOT EXISTS by_last_seen_key (SELECT user_id, user_key, last_seen ORDER BY last_seen)
