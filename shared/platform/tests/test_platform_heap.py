"""While a service runs, what its startup built is frozen out of the collector's walks and
the youngest generation waits for more objects; afterwards the collector is as it was."""

from __future__ import annotations

import gc

from lending_platform.heap import YOUNG_GENERATION_THRESHOLD, settled_heap


def test_startup_objects_are_frozen_while_the_service_runs_and_released_after():
    before = gc.get_threshold()
    with settled_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_GENERATION_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
