"""The framework's ceiling: an empty FastAPI endpoint, served by uvicorn exactly like the API.

``python -m bench.empty_app`` reads the API's own settings (``PULSE_API_HOST``/``PORT`` and the
rest) and runs uvicorn with the API's ``server_options``, so the only difference from
``python -m ingest_api`` is what the route does: read the body and answer a fixed 202.
"""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from ingest_api.__main__ import server_options
from ingest_api.config import api_settings

app = FastAPI()


@app.post("/v1/events", status_code=202)
async def accept(request: Request) -> Response:
    await request.body()
    return Response(b'{"accepted":1,"rejected":0,"results":[]}', 202, media_type="application/json")


@app.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def main() -> None:
    """Serve :data:`app` with the API's uvicorn options."""
    uvicorn.run(app, **server_options(api_settings()))


if __name__ == "__main__":
    main()
