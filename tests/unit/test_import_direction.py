"""The direction of imports between Pulse's top-level packages (README, "Architecture").

schemas <- core <- clickhouse <- {ingest_api, stream_processors} <- {pulse, bench}: a package
imports only the packages listed for it below, at module level or inside a function alike.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What each package may import, besides itself. clickhouse holds the shared ClickHouse client,
# migrations and rollup SQL that both the API (reports) and the worker (sink, rollup refresh) use;
# the API and the worker never import each other.
ALLOWED: dict[str, frozenset[str]] = {
    "schemas": frozenset(),
    "core": frozenset({"schemas"}),
    "clickhouse": frozenset({"schemas", "core"}),
    "ingest_api": frozenset({"schemas", "core", "clickhouse"}),
    "stream_processors": frozenset({"schemas", "core", "clickhouse"}),
    "pulse": frozenset({"schemas", "core", "clickhouse", "ingest_api", "stream_processors"}),
    "bench": frozenset(
        {"schemas", "core", "clickhouse", "ingest_api", "stream_processors", "pulse"}
    ),
}
OURS = frozenset(ALLOWED) | {"tests"}


def imported_modules(source: str) -> Iterator[str]:
    """Every absolute module name ``source`` imports (relative imports stay in their package)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def violations(root: Path) -> list[str]:
    """``path: imports module`` for each import that goes against ``ALLOWED``."""
    found = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for module in imported_modules(path.read_text()):
                top = module.split(".")[0]
                if top in OURS and top != package and top not in allowed:
                    found.append(f"{path.relative_to(root)}: imports {module}")
    return found


def test_every_package_imports_only_the_packages_below_it() -> None:
    assert violations(ROOT) == []


def test_every_top_level_package_has_a_rule() -> None:
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests"}
    assert packages <= set(ALLOWED), f"no import rule for {sorted(packages - set(ALLOWED))}"


@pytest.mark.parametrize(
    ("package", "source", "module"),
    [
        ("core", "from pulse.local.config import Layout", "pulse.local.config"),
        ("clickhouse", "import ingest_api.config", "ingest_api.config"),
        ("ingest_api", "from stream_processors import rows", "stream_processors"),
        ("stream_processors", "from ingest_api.records import encode", "ingest_api.records"),
        ("schemas", "from core.settings import shared_settings", "core.settings"),
        ("pulse", "from bench import worker", "bench"),
        ("ingest_api", "def f():\n    from tests.polling import until", "tests.polling"),
    ],
)
def test_an_import_against_the_direction_is_reported(
    tmp_path: Path, package: str, source: str, module: str
) -> None:
    (tmp_path / package).mkdir()
    (tmp_path / package / "module.py").write_text(f"import {package}.other\n{source}\n")
    assert violations(tmp_path) == [f"{package}/module.py: imports {module}"]
