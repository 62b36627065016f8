"""What a request may run: read-only requests, the analyst's fence and INTO OUTFILE."""

from __future__ import annotations

from clickhouse.server.auth import Principal
from clickhouse.server.errors import ACCESS_DENIED, INTO_OUTFILE_NOT_ALLOWED, READONLY, error
from clickhouse.server.statement import (
    READ_ONLY_KEYWORDS,
    called_functions,
    first_keyword,
    writes_to_file,
)

# The source grant ClickHouse names when a user lacks it, by table function family.
_GRANTS = (
    ("file", "FILE"),
    ("url", "URL"),
    ("remote", "REMOTE"),
    ("cluster", "REMOTE"),
    ("s3", "S3"),
    ("azure", "AZURE"),
    ("hdfs", "HDFS"),
    ("mysql", "MYSQL"),
    ("postgresql", "POSTGRES"),
    ("sqlite", "SQLITE"),
    ("mongodb", "MONGO"),
    ("odbc", "ODBC"),
    ("jdbc", "JDBC"),
    ("redis", "REDIS"),
)


def source_grant(function: str) -> str:
    """The grant a ClickHouse user would need to call ``function`` (e.g. ``READ ON FILE``)."""
    grant = next((g for prefix, g in _GRANTS if function.startswith(prefix)), function.upper())
    return f"READ ON {grant}"


def check(principal: Principal, sql: str, fenced: frozenset[str], read_only: bool) -> None:
    """Refuse what this principal may not run, with ClickHouse's own error codes.

    ``read_only`` is for requests whose connection is not itself read-only (a GET in a
    writer's session): only reading statements pass.
    """
    if writes_to_file(sql):
        raise error(INTO_OUTFILE_NOT_ALLOWED, "INTO OUTFILE is not allowed")
    if read_only and first_keyword(sql) not in READ_ONLY_KEYWORDS:
        raise error(
            READONLY,
            f"{principal.name}: Cannot execute query in readonly mode. For queries over HTTP, "
            "method GET implies readonly. You should use method POST for modifying queries",
        )
    if principal.restricted:
        denied = sorted(called_functions(sql) & fenced)
        if denied:
            raise error(
                ACCESS_DENIED,
                f"{principal.name}: Not enough privileges. To execute this query, it's "
                f"necessary to have the grant {source_grant(denied[0])}",
            )
