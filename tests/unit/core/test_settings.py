from core.settings import SharedSettings


def test_the_dead_letter_topic_has_one_partition_whatever_the_events_topic_has() -> None:
    shared = SharedSettings(PULSE_EVENTS_PARTITIONS=4, PULSE_DLQ_TOPIC="t.dlq")
    assert shared.topic_partitions() == {"pulse.events.v1": 4, "t.dlq": 1}
