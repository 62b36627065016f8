"""The one place that builds ClickHouse clients for Pulse.

Every component talks to ClickHouse through these functions and ``CLICKHOUSE_URL`` only, so
pointing the URL at a ClickHouse server instead of the embedded endpoint changes nothing else.
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.asyncclient import AsyncClient
from clickhouse_connect.driver.client import Client

from core.settings import SharedSettings, shared_settings

ClientT = TypeVar("ClientT", Client, AsyncClient)


def _client_kwargs(settings: SharedSettings | None, readonly: bool) -> dict[str, Any]:
    settings = settings or shared_settings()
    url = urlsplit(settings.clickhouse_url)
    secure = url.scheme == "https"
    username = settings.clickhouse_readonly_user if readonly else settings.clickhouse_user
    password = settings.clickhouse_readonly_password if readonly else settings.clickhouse_password
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or (8443 if secure else 8123),
        "secure": secure,
        "username": username,
        "password": password.get_secret_value(),
        # No server-side session: concurrent queries of one client never wait on a session lock.
        "autogenerate_session_id": False,
    }


def _database(database: str | None, settings: SharedSettings | None) -> str:
    return (settings or shared_settings()).clickhouse_database if database is None else database


def _use(client: ClientT, database: str) -> ClientT:
    # Connect without a database and choose it afterwards: clickhouse-connect checks the
    # database while connecting, and the database may not exist yet (see `pulse migrate`).
    if database:
        client.database = database
    return client


def scalar_int(client: Client, query: str, parameters: dict[str, Any]) -> int:
    """The single integer a query such as ``SELECT count() ...`` answers."""
    value = client.command(query, parameters=parameters)
    if not isinstance(value, int | str):
        raise TypeError(f"expected one number from {query!r}, got {value!r}")
    return int(value)


def writer_client(database: str | None = None, settings: SharedSettings | None = None) -> Client:
    """A client with the writer's account (``CLICKHOUSE_USER``) on ``database``.

    ``database`` defaults to ``CLICKHOUSE_DATABASE``; pass ``""`` to connect without one (for
    example to create it).
    """
    client = clickhouse_connect.get_client(**_client_kwargs(settings, readonly=False))
    return _use(client, _database(database, settings))


def reader_client(database: str | None = None, settings: SharedSettings | None = None) -> Client:
    """A client with the read-only account (``CLICKHOUSE_READONLY_USER``) on ``database``."""
    client = clickhouse_connect.get_client(**_client_kwargs(settings, readonly=True))
    return _use(client, _database(database, settings))


async def async_writer_client(
    database: str | None = None, settings: SharedSettings | None = None
) -> AsyncClient:
    """The asynchronous twin of :func:`writer_client`, for asyncio services."""
    client = await clickhouse_connect.get_async_client(**_client_kwargs(settings, readonly=False))
    return _use(client, _database(database, settings))


async def async_reader_client(
    database: str | None = None, settings: SharedSettings | None = None
) -> AsyncClient:
    """The asynchronous twin of :func:`reader_client`."""
    client = await clickhouse_connect.get_async_client(**_client_kwargs(settings, readonly=True))
    return _use(client, _database(database, settings))
