"""What every component shares: settings, JSON logging, the data layout and Kafka admin.

It imports none of the components. The direction of imports is
``schemas`` <- ``core`` <- {``ingest_api``, ``stream_processors``, ``clickhouse``} <- ``pulse``
(the CLI and local launcher) and ``bench``.
"""
