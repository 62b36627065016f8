"""The framework's ceiling: an empty FastAPI endpoint, served by uvicorn like the ingest API."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()


@app.post("/v1/events", status_code=202)
async def accept(request: Request) -> Response:
    await request.body()
    return Response(b'{"accepted":1,"rejected":0,"results":[]}', 202, media_type="application/json")
