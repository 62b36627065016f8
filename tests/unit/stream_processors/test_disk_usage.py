"""pulse_disk_used_bytes: what the walk counts and when the collector walks."""

from __future__ import annotations

import os
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from pulse.local.process import wait_until
from stream_processors.metrics import DiskUsageCollector, disk_used_bytes


def allocated(path: Path) -> int:
    return os.stat(path, follow_symlinks=False).st_blocks * 512


def test_disk_used_bytes_counts_files_and_directories_of_the_whole_tree(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "segment.log").write_bytes(os.urandom(100_000))
    (tmp_path / "top.index").write_bytes(os.urandom(5000))
    expected = sum(allocated(p) for p in tmp_path.rglob("*"))
    assert disk_used_bytes(tmp_path) == expected
    assert expected >= 105_000


def test_disk_used_bytes_does_not_follow_links_inside_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(os.urandom(200_000))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link").symlink_to(outside, target_is_directory=True)
    assert disk_used_bytes(tree) < 200_000


def test_disk_used_bytes_of_a_linked_root_measures_the_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "data").write_bytes(os.urandom(50_000))
    (tmp_path / "root").symlink_to(target, target_is_directory=True)
    assert disk_used_bytes(tmp_path / "root") == disk_used_bytes(target) >= 50_000


def test_disk_used_bytes_of_a_missing_directory_is_zero(tmp_path: Path) -> None:
    assert disk_used_bytes(tmp_path / "nope") == 0


def scrape(registry: CollectorRegistry) -> list[str]:
    return [
        line
        for line in generate_latest(registry).decode().splitlines()
        if line.startswith("pulse_disk_used_bytes{")
    ]


def test_scrapes_report_each_component_after_one_background_walk(tmp_path: Path) -> None:
    (tmp_path / "kafka").mkdir()
    (tmp_path / "kafka" / "log").write_bytes(os.urandom(10_000))
    walks: list[float] = []

    def dirs() -> dict[str, Path]:
        walks.append(time.monotonic())
        return {"kafka": tmp_path / "kafka"}

    registry = CollectorRegistry(auto_describe=True)
    registry.register(DiskUsageCollector(dirs, interval=3600))
    assert walks == []  # registering describes the metric without walking
    wait_until(lambda: bool(scrape(registry)), 10, "the first disk usage figures")
    [line] = scrape(registry)
    used = float(disk_used_bytes(tmp_path / "kafka"))
    assert line == f'pulse_disk_used_bytes{{component="kafka"}} {used}'
    for _ in range(20):
        scrape(registry)
    assert len(walks) == 1  # fresh figures are served without walking again


def test_figures_older_than_the_interval_are_measured_again(tmp_path: Path) -> None:
    (tmp_path / "clickhouse").mkdir()
    collector = DiskUsageCollector(lambda: {"clickhouse": tmp_path / "clickhouse"}, interval=0)
    before = collector.refresh()["clickhouse"]
    (tmp_path / "clickhouse" / "part.bin").write_bytes(os.urandom(64_000))
    registry = CollectorRegistry()
    registry.register(collector)
    wait_until(
        lambda: any(float(line.split()[-1]) >= before + 64_000 for line in scrape(registry)),
        10,
        "disk usage to grow with the new file",
    )
