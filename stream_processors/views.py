"""Pages on the worker's web port: GET /metrics (Prometheus) and GET /dau/rolling (JSON)."""

from __future__ import annotations

import faust
from faust import web
from prometheus_client import generate_latest

from stream_processors.live import LiveFigures
from stream_processors.metrics import REGISTRY


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
            return self.json(await live.rolling_dau())
