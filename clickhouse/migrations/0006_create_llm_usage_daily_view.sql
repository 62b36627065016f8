-- The contract's `llm_usage_daily`; sumKahan keeps the cost exact to far below 1e-9.
CREATE VIEW IF NOT EXISTS ${database}.llm_usage_daily AS
SELECT
    day,
    user_id,
    model,
    count() AS calls,
    sum(prompt_token_count) AS prompt_tokens,
    sum(completion_token_count) AS completion_tokens,
    sumKahan(call_cost_usd) AS cost_usd
FROM ${database}.llm_calls FINAL
GROUP BY day, user_id, model
