-- The contract's `llm_usage_daily` reads the rollup: one row per (day, user, model) stored.
CREATE OR REPLACE VIEW ${database}.llm_usage_daily AS
SELECT day, user_id, model, calls, prompt_tokens, completion_tokens, cost_usd
FROM ${database}.llm_usage_rollup FINAL
WHERE calls > 0
