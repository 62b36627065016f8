import gc

from stream_processors import collector


def test_tune_sets_the_worker_thresholds_and_restore_puts_back_the_old_ones() -> None:
    before = gc.get_threshold()
    saved = collector.tune()
    try:
        assert saved == before
        assert gc.get_threshold() == collector.THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        collector.restore(saved)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
