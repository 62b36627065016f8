"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ingest_api.deps import State

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    kafka: bool


@router.get("/healthz", response_model=Liveness, summary="Liveness: the process answers")
async def healthz() -> Liveness:
    """Always 200 while the process serves HTTP."""
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: Kafka is reachable",
    responses={503: {"model": Readiness, "description": "Kafka is not reachable."}},
)
async def readyz(state: State) -> JSONResponse:
    """200 when a Kafka broker answered a metadata request (checked at most every ~1.5 s)."""
    ready = await state.probe.ready()
    body = Readiness(status="ready" if ready else "not ready", kafka=ready)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
