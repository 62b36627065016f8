-- One user's LLM usage (the user summary) reads that user's rows in (user, day, model) order;
-- the table's own order (day first) would read every row of every day.
ALTER TABLE ${database}.llm_usage_rollup ADD PROJECTION IF NOT EXISTS by_user (SELECT * ORDER BY user_id, day, model)
