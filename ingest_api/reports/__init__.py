"""Analysts' reports: the ClickHouse queries behind ``/v1/reports`` and ``/v1/users``, and the
streaming exporters (CSV, Parquet, XLSX) of ``/v1/reports/events``. One module per job."""
