"""`pulse import FILE`: historical events from JSON lines, CSV or Parquet, via the ingest API."""
