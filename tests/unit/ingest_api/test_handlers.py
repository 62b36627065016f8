import httpx
import pytest
from fastapi import FastAPI

from ingest_api.handlers import install_handlers
from ingest_api.reports.exceptions import ExportTooLarge, InvalidRange, UnknownUser

pytestmark = pytest.mark.anyio


def _app() -> FastAPI:
    app = FastAPI()
    install_handlers(app)

    @app.get("/user")
    async def user() -> None:
        raise UnknownUser("no events of user 'ghost': check the user id")

    @app.get("/range")
    async def date_range() -> None:
        raise InvalidRange("from is after to: swap them", "to")

    @app.get("/export")
    async def export() -> None:
        raise ExportTooLarge("2000000 rows do not fit in one XLSX sheet: export as csv")

    return app


async def _get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://pulse.test") as client:
        return await client.get(path)


async def test_an_unknown_user_is_404_with_the_message() -> None:
    response = await _get("/user")
    assert response.status_code == 404
    assert response.json() == {"detail": "no events of user 'ghost': check the user id"}


async def test_an_invalid_range_is_a_422_naming_the_parameter() -> None:
    response = await _get("/range?from=2026-11-21&to=2026-11-20")
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["query", "to"],
            "msg": "from is after to: swap them",
            "input": "2026-11-20",
        }
    ]


async def test_an_export_over_one_sheet_is_a_422_on_format() -> None:
    response = await _get("/export?format=xlsx")
    assert response.status_code == 422
    [item] = response.json()["detail"]
    assert (item["loc"], item["input"]) == (["query", "format"], "xlsx")
    assert "export as csv" in item["msg"]
