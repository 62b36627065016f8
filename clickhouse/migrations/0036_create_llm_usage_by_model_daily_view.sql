-- LLM usage per UTC day and model, all users together: the sums of `llm_usage_daily` grouped by
-- (day, model), read from the rollup of 0035 at the cost of days x models rows.
CREATE OR REPLACE VIEW ${database}.llm_usage_by_model_daily AS
SELECT day, model, calls, prompt_tokens, completion_tokens, cost_usd
FROM ${database}.llm_model_rollup FINAL
WHERE calls > 0
