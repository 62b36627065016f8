"""The repository documents itself: docs/ names every setting, route and known event, and no
page points at a file outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from clickhouse.config import EndpointSettings
from core.settings import SharedSettings
from ingest_api.config import ApiSettings
from ingest_api.routes import events, health, metrics, reports, users
from pulse.local.config import StackSettings
from schemas import KNOWN_EVENTS
from stream_processors.config import WorkerSettings

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md", *sorted(ROOT.glob("*/README.md"))]


def _text(name: str) -> str:
    return (DOCS / name).read_text()


def _aliases(settings: type[BaseSettings]) -> set[str]:
    return {f.alias for f in settings.model_fields.values() if f.alias}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if "://" in target:
            continue
        resolved = (page.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
        assert resolved.exists(), f"{page.name} links to a missing file: {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_points_at_the_shared_contract(page: Path) -> None:
    text = page.read_text()
    assert "../shared" not in text and "CONTRACT.md" not in text


@pytest.mark.parametrize(
    "settings", [SharedSettings, ApiSettings, WorkerSettings, EndpointSettings, StackSettings]
)
def test_every_setting_is_documented(settings: type[BaseSettings]) -> None:
    text = _text("settings.md")
    missing = sorted(a for a in _aliases(settings) if f"`{a}`" not in text)
    assert not missing, f"docs/settings.md does not name {missing}"


def test_every_known_event_and_metadata_field_is_documented() -> None:
    text = _text("events.md")
    for name, model in KNOWN_EVENTS.items():
        assert f"`{name}`" in text, name
        for field in model.model_fields:
            assert f"`{field}`" in text, f"{name}.{field}"


def test_every_route_is_documented() -> None:
    text = _text("api.md")
    events_router = events.events_router(ApiSettings())
    for router in (events_router, health.router, metrics.router, reports.router, users.router):
        for route in router.routes:
            path = getattr(route, "path_format", "")  # "{user_id}", as OpenAPI names it
            assert path in text, f"docs/api.md does not name {path}"
