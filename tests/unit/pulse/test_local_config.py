import pytest

from pulse.local.config import host_port


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
