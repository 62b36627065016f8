-- Each user's identity as a 128-bit SipHash of user_id, the same value uniqExact puts in its set
-- for a String (ClickHouse counts distinct strings by these hashes), so counting distinct keys is
-- exactly as exact as uniqExact(user_id). Rolling DAU groups by it: a fixed 16 bytes instead of a
-- string per row. `any` because every row of a user carries the same key. Rows inserted without
-- it (the materialized view of 0032, the rebuild) get it from user_id.
ALTER TABLE ${database}.user_activity_rollup
    ADD COLUMN IF NOT EXISTS user_key SimpleAggregateFunction(any, UInt128)
    DEFAULT reinterpretAsUInt128(sipHash128(user_id)) AFTER user_id
