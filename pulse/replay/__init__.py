"""`pulse replay`: re-read the events topic into ClickHouse through the worker's own row code."""
