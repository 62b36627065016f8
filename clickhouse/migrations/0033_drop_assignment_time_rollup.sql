-- assignment_time reads assignment_pair_rollup since 0031; the recomputed rollup of 0015 is no
-- longer written nor read.
DROP TABLE IF EXISTS ${database}.assignment_time_rollup
