from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import SharedSettings
from pulse.local.config import CacheSettings, StackSettings, host_port
from pulse.local.kafka import KafkaNode, jar_cache_dir
from pulse.local.stack import Stack


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:19092", ("127.0.0.1", 19092)),
        ("http://127.0.0.1:8123", ("127.0.0.1", 8123)),
        ("http://localhost", ("localhost", 8123)),
        ("kafka:9092", ("kafka", 9092)),
    ],
)
def test_host_port_reads_addresses_and_urls(address: str, expected: tuple[str, int]) -> None:
    assert host_port(address, 8123) == expected


def test_the_launcher_reads_the_api_and_worker_ports_from_their_own_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULSE_API_PORT", "8100")
    monkeypatch.setenv("PULSE_WORKER_PORT", "6100")
    settings = StackSettings(PULSE_START_KAFKA=False)
    assert (settings.api.port, settings.worker.web_port) == (8100, 6100)
    assert not settings.start_kafka


def test_a_port_given_to_the_launcher_reaches_the_component_that_declares_it() -> None:
    settings = StackSettings(PULSE_API_PORT=8200, PULSE_WORKER_PORT=6200)
    assert (settings.api_port, settings.worker_port) == (8200, 6200)


def test_the_launcher_refuses_a_port_the_api_would_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_API_PORT", "70000")
    with pytest.raises(ValidationError, match="PULSE_API_PORT"):
        StackSettings()


def test_the_stack_starts_its_parts_where_their_settings_say(tmp_path: Path) -> None:
    shared = SharedSettings(PULSE_DATA_DIR=tmp_path)
    settings = StackSettings(PULSE_API_PORT=8300, PULSE_WORKER_HOST="127.0.0.2")
    stack = Stack(shared, settings)
    assert {p.name: p.url for p in stack}["ingest_api"] == "http://127.0.0.1:8300"
    assert {p.name: p.url for p in stack}["stream_worker"] == "http://127.0.0.2:6066"
    assert stack.env["PULSE_API_PORT"] == "8300"
    assert stack.env["PULSE_WORKER_HOST"] == "127.0.0.2"


def test_kafka_jars_are_cached_where_pulse_cache_dir_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PULSE_CACHE_DIR", str(tmp_path))
    assert CacheSettings().cache_dir == tmp_path
    assert KafkaNode(data_dir=tmp_path / "kafka").cache_dir == tmp_path
    assert jar_cache_dir(tmp_path).is_relative_to(tmp_path / "kafka")
