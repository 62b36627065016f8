-- A ReplacingMergeTree refuses projections unless told what a merge does to them: rebuild the
-- projection from the merged rows, so it always holds exactly the rows of its part.
ALTER TABLE ${database}.llm_usage_rollup MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'
