"""Pages on the worker's web port: GET /metrics (Prometheus) and GET /dau/rolling (JSON)."""

from __future__ import annotations

from typing import Any

import faust
from clickhouse_connect.driver.exceptions import OperationalError
from faust import web
from prometheus_client import generate_latest

from stream_processors.live import LiveFigures
from stream_processors.metrics import REGISTRY

RETRY_AFTER_S = 5


async def rolling_dau_answer(live: LiveFigures) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The rolling-DAU page's body, status and headers: the figures, or, while ClickHouse does not
    answer, 503 with ``Retry-After`` and a ``detail``, as the API's report routes answer."""
    try:
        return await live.rolling_dau(), 200, {}
    except OperationalError as exc:
        detail = f"ClickHouse did not answer ({type(exc).__name__}); retry later"
        return {"detail": detail}, 503, {"Retry-After": str(RETRY_AFTER_S)}


def register_pages(app: faust.App, live: LiveFigures) -> None:
    """Serve the worker's pages on ``app``'s web server."""

    @app.page("/metrics")
    class MetricsView(web.View):
        """Every worker metric in the Prometheus text format."""

        async def get(self, request: web.Request) -> web.Response:
            return self.text(generate_latest(REGISTRY).decode(), content_type="text/plain")

    @app.page("/dau/rolling")
    class RollingDauView(web.View):
        """Distinct users over the last 24 h, 7 d and 30 d: ``{"24h": n, "7d": n, "30d": n}``."""

        async def get(self, request: web.Request) -> web.Response:
            body, status, headers = await rolling_dau_answer(live)
            return self.json(body, status=status, headers=headers)
