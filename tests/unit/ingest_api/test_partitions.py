"""Keys land on the partition aiokafka's default partitioner would give them."""

from __future__ import annotations

from typing import Any

from aiokafka.partitioner import DefaultPartitioner

from ingest_api.partitions import KeyPartitioner, Message


class FakeCluster:
    def __init__(self, partitions: set[int]) -> None:
        self.partitions = partitions

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions


class FakeProducer:
    def __init__(self, partitions: set[int]) -> None:
        self.client: Any = type("Client", (), {"cluster": FakeCluster(partitions)})()


def test_split_matches_the_default_partitioner_and_keeps_order() -> None:
    messages = [Message(f"student-{i % 37}".encode(), str(i).encode()) for i in range(500)]
    split = KeyPartitioner().split(FakeProducer(set(range(6))), "t", messages)
    default = DefaultPartitioner()
    for partition, group in split.items():
        assert all(default(m.key, list(range(6)), []) == partition for m in group)
        assert [int(m.value) for m in group] == sorted(int(m.value) for m in group)
    assert sum(len(g) for g in split.values()) == 500


def test_remembered_hashes_follow_a_partition_count_change() -> None:
    partitioner = KeyPartitioner()
    message = [Message(b"student-1", b"")]
    default = DefaultPartitioner()
    for count in (3, 12):
        (partition,) = partitioner.split(FakeProducer(set(range(count))), "t", message)
        assert partition == default(b"student-1", list(range(count)), [])
