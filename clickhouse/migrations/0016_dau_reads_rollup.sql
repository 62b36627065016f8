-- The contract's `dau` reads the rollup: its cost is the number of days, not of events.
CREATE OR REPLACE VIEW ${database}.dau AS
SELECT day, dau
FROM ${database}.dau_rollup FINAL
WHERE dau > 0
ORDER BY day
