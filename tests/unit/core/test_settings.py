import ast
import re
from collections import defaultdict
from pathlib import Path

from core.settings import SharedSettings


def test_the_dead_letter_topic_has_one_partition_whatever_the_events_topic_has() -> None:
    shared = SharedSettings(PULSE_EVENTS_PARTITIONS=4, PULSE_DLQ_TOPIC="t.dlq")
    assert shared.topic_partitions() == {"pulse.events.v1": 4, "t.dlq": 1}


PACKAGES = ("schemas", "core", "clickhouse", "ingest_api", "stream_processors", "pulse", "bench")
ROOT = Path(__file__).resolve().parents[3]
# Declared twice today: the embedded endpoint enforces the accounts the clients present
# (clickhouse/config.py EndpointSettings beside SharedSettings). Nothing may join this list.
KNOWN_TWICE = {
    "CLICKHOUSE_USER",
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_READONLY_USER",
    "CLICKHOUSE_READONLY_PASSWORD",
}


def declarations(root: Path) -> dict[str, list[str]]:
    """Every environment variable a settings field names, with the classes that declare it."""
    found: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for cls in ast.walk(ast.parse(path.read_text())):
                if not isinstance(cls, ast.ClassDef):
                    continue
                for stmt in cls.body:
                    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.value, ast.Call):
                        for kw in stmt.value.keywords:
                            name = kw.value.value if isinstance(kw.value, ast.Constant) else None
                            if kw.arg == "alias" and re.fullmatch(r"[A-Z][A-Z0-9_]+", str(name)):
                                found[str(name)].append(f"{path.relative_to(root)}:{cls.name}")
    return found


def test_every_environment_variable_is_declared_by_one_settings_class() -> None:
    found = declarations(ROOT)
    assert "PULSE_API_PORT" in found and "PULSE_RETENTION_DAYS" in found
    twice = {name: where for name, where in found.items() if len(where) > 1}
    assert set(twice) <= KNOWN_TWICE, {n: w for n, w in twice.items() if n not in KNOWN_TWICE}


def test_a_second_declaration_is_found(tmp_path: Path) -> None:
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "config.py").write_text(
        'class S(BaseSettings):\n    port: int = Field(1, alias="PULSE_API_PORT")\n'
    )
    (tmp_path / "ingest_api").mkdir()
    (tmp_path / "ingest_api" / "config.py").write_text(
        'class A(BaseSettings):\n    port: int = Field(1, alias="PULSE_API_PORT", ge=0)\n'
    )
    assert declarations(tmp_path) == {
        "PULSE_API_PORT": ["ingest_api/config.py:A", "pulse/config.py:S"]
    }
