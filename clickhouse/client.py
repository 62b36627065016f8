"""The one place that builds ClickHouse clients for Pulse.

Every component talks to ClickHouse through these functions and ``CLICKHOUSE_URL`` only, so
pointing the URL at a ClickHouse server instead of the embedded endpoint changes nothing else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.client import Client

from pulse.settings import SharedSettings, shared_settings


def _client_kwargs(
    settings: SharedSettings | None, database: str | None, readonly: bool
) -> dict[str, Any]:
    settings = settings or shared_settings()
    url = urlsplit(settings.clickhouse_url)
    secure = url.scheme == "https"
    username = settings.clickhouse_readonly_user if readonly else settings.clickhouse_user
    password = (
        settings.clickhouse_readonly_password if readonly else settings.clickhouse_password
    )
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or (8443 if secure else 8123),
        "secure": secure,
        "username": username,
        "password": password.get_secret_value(),
        "database": settings.clickhouse_database if database is None else database,
        # No server-side session: concurrent queries of one client never wait on a session lock.
        "autogenerate_session_id": False,
    }


def writer_client(database: str | None = None, settings: SharedSettings | None = None) -> Client:
    """A client with the writer's account (``CLICKHOUSE_USER``) on ``database``.

    ``database`` defaults to ``CLICKHOUSE_DATABASE``; pass ``""`` to connect without one (for
    example to create it).
    """
    return clickhouse_connect.get_client(**_client_kwargs(settings, database, readonly=False))


def reader_client(database: str | None = None, settings: SharedSettings | None = None) -> Client:
    """A client with the read-only account (``CLICKHOUSE_READONLY_USER``) on ``database``."""
    return clickhouse_connect.get_client(**_client_kwargs(settings, database, readonly=True))


async def async_writer_client(
    database: str | None = None, settings: SharedSettings | None = None
) -> AsyncClient:
    """The asynchronous twin of :func:`writer_client`, for asyncio services."""
    return await clickhouse_connect.get_async_client(
        **_client_kwargs(settings, database, readonly=False)
    )


async def async_reader_client(
    database: str | None = None, settings: SharedSettings | None = None
) -> AsyncClient:
    """The asynchronous twin of :func:`reader_client`."""
    return await clickhouse_connect.get_async_client(
        **_client_kwargs(settings, database, readonly=True)
    )
