"""The cycle collector is paused inside ``collection_paused`` and comes back as it was, after
overlapping pauses and after an error."""

import gc
import threading

import pytest

from dangjian.core.gcpause import collection_paused


@pytest.fixture(autouse=True)
def _restore():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_back_after_an_error():
    gc.enable()
    with pytest.raises(RuntimeError), collection_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


def test_overlapping_pauses_resume_when_the_last_ends():
    gc.enable()
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen = []

    def other():
        with collection_paused():
            inner_started.set()
            outer_may_end.wait(5)
        seen.append(gc.isenabled())

    with collection_paused():
        t = threading.Thread(target=other)
        t.start()
        inner_started.wait(5)
    assert not gc.isenabled()  # the other pause is still on
    outer_may_end.set()
    t.join(5)
    assert seen == [True] and gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()
