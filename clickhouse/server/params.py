"""URL parameters of ClickHouse's HTTP interface: transport options, settings and bind values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from clickhouse.server.errors import UNKNOWN_SETTING, error

# Parameters the HTTP layer consumes itself; everything else but ``param_*`` is a setting.
TRANSPORT = frozenset(
    {
        "query",
        "database",
        "default_format",
        "session_id",
        "session_timeout",
        "session_check",
        "query_id",
        "wait_end_of_query",
        "compress",
        "decompress",
        "user",
        "password",
        "quota_key",
        "client_protocol_version",
        "buffer_size",
        "role",
        "stacktrace",
        "close_session",
        "default_database",
        "http_native_compression_disable_checksumming_on_decompress",
    }
)
_TRUE = frozenset({"1", "true", "True", "TRUE"})


@dataclass(frozen=True)
class RequestParams:
    """One request's URL parameters, sorted by what they are for."""

    query: str = ""
    transport: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    bind: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        """A boolean transport parameter such as ``wait_end_of_query`` or ``session_check``."""
        return self.transport.get(name, "0") in _TRUE

    @property
    def database(self) -> str | None:
        return self.transport.get("database") or self.transport.get("default_database") or None

    @property
    def http_compression(self) -> bool:
        """Whether the client asked for a compressed response (``enable_http_compression``)."""
        return self.settings.get("enable_http_compression", "0") in _TRUE


def split_params(items: Iterable[tuple[str, str]]) -> RequestParams:
    """Sort URL parameters into the query, transport options, settings and ``param_*`` binds."""
    transport: dict[str, str] = {}
    settings: dict[str, str] = {}
    bind: dict[str, str] = {}
    for name, value in items:
        if name.startswith("param_"):
            bind[name.removeprefix("param_")] = value
        elif name in TRANSPORT:
            transport[name] = value
        else:
            settings[name] = value
    return RequestParams(transport.pop("query", ""), transport, settings, bind)


def quote_literal(value: str) -> str:
    """``value`` as a ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def set_statement(settings: dict[str, str]) -> str | None:
    """One ``SET a = 'x', b = 'y'`` applying the request's settings, or None if there are none."""
    if not settings:
        return None
    for name in settings:
        if not name.replace("_", "").isalnum():
            raise error(
                UNKNOWN_SETTING, f"{name!r} is not a setting name; check the URL parameters"
            )
    return "SET " + ", ".join(f"{k} = {quote_literal(v)}" for k, v in settings.items())
