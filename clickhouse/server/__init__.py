"""The embedded ClickHouse endpoint: chDB (real ClickHouse, in process) behind ClickHouse's own
HTTP interface, so that clickhouse-connect, curl and Grafana talk to it as to a server.

Run it with ``python -m clickhouse.server --host 127.0.0.1 --port 8123 --data-dir DIR``.
"""
