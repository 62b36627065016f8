-- The recompute of pairs from their facts (0028) is gone: the pairs' states are kept by
-- assignment_pair_rollup_from_facts (0030), and their figures defined once, by 0031.
DROP VIEW IF EXISTS ${database}.assignment_time_from_facts
