"""Requests in the interpreter at once (web/gate.py): `annotate serve` lets `--running` of its
threads run the app at once, the others in the order they came; a request that has run long
no longer counts; a request that waits for something slow gives its turn up meanwhile; the
body of an answer is sent without a turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import EnvironBuilder

from annotate.record.search import SearchIndex
from annotate.web.gate import Gate, Gated

from .webutil import make_app


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def test_no_more_than_the_slots_run_at_once_and_the_others_in_the_order_they_came() -> None:
    gate = Gate(2, patience=None)
    inside: list[int] = []
    most = 0
    order: list[int] = []
    lock = threading.Lock()
    go = {i: threading.Event() for i in range(7)}

    def request(i: int) -> None:
        nonlocal most
        gate.enter()
        try:
            with lock:
                inside.append(i)
                order.append(i)
                most = max(most, len(inside))
            go[i].wait(10)
            with lock:
                inside.remove(i)
        finally:
            gate.leave()

    threads = []
    for i in range(7):
        t = threading.Thread(target=request, args=(i,))
        t.start()
        threads.append(t)
        if i < 2:
            _until(lambda n=i + 1: len(order) == n)  # the first two go straight in
        else:
            _until(lambda n=i - 1: gate.waiting() == n)  # each later one waits after the last
    assert order == [0, 1]
    # Let them out one at a time, newest first among those inside: the next in is always
    # the one that has waited longest.
    for step, i in enumerate((1, 0, 2, 3, 4, 5, 6)):
        go[i].set()
        threads[i].join(10)
        # The slot went to the next in line: let it say so before letting the next out.
        expected = min(7, 3 + step)
        _until(lambda n=expected: len(order) == n)
    assert order == [0, 1, 2, 3, 4, 5, 6]
    assert most == 2
    assert gate.waiting() == 0


def test_a_slot_given_back_goes_to_the_one_waiting_not_to_whoever_asks_first() -> None:
    """No barging: a thread that gives its slot back and asks again at once (as a server's
    thread does, on to its next request) waits behind the one already waiting
    (`threading.Semaphore` lets it straight back in)."""
    gate = Gate(1, patience=None)
    order: list[str] = []
    gate.enter()

    def waiting() -> None:
        gate.enter()
        order.append("the one waiting")
        gate.leave()

    t = threading.Thread(target=waiting)
    t.start()
    _until(lambda: gate.waiting() == 1)
    gate.leave()
    gate.enter()
    order.append("the one asking again")
    gate.leave()
    t.join(10)
    assert order == ["the one waiting", "the one asking again"]


def test_a_request_that_waits_outside_lets_the_next_in_and_takes_its_turn_again() -> None:
    gate = Gate(1, patience=None)
    events: list[str] = []
    outside = threading.Event()
    done_waiting = threading.Event()

    def slow() -> None:
        gate.enter()
        try:
            events.append("slow in")
            with gate.outside():
                assert not gate.holding()
                outside.set()
                done_waiting.wait(10)
            assert gate.holding()
            events.append("slow back")
        finally:
            gate.leave()

    def quick() -> None:
        gate.enter()
        try:
            events.append("quick in")
        finally:
            gate.leave()

    a = threading.Thread(target=slow)
    a.start()
    assert outside.wait(10)
    b = threading.Thread(target=quick)
    b.start()
    b.join(10)
    assert not b.is_alive(), "the quick request waited for the slow one's wait"
    done_waiting.set()
    a.join(10)
    assert events == ["slow in", "quick in", "slow back"]
    assert not gate.holding()  # a thread without a turn steps out of nothing
    with gate.outside():
        pass


def test_a_request_that_runs_long_no_longer_keeps_the_others_out() -> None:
    """Past `patience`, a holder does not count: the one waiting goes in beside it (after
    that wait, not before), and the slots count again for those after."""
    gate = Gate(1, patience=0.1)
    release_long, release_second = threading.Event(), threading.Event()
    entered: dict[str, float] = {}

    def hold(name: str, until: threading.Event) -> None:
        gate.enter()
        entered[name] = time.monotonic()
        until.wait(10)
        gate.leave()

    long = threading.Thread(target=hold, args=("long", release_long))
    long.start()
    _until(lambda: "long" in entered)
    asked = time.monotonic()
    second = threading.Thread(target=hold, args=("second", release_second))
    second.start()
    _until(lambda: "second" in entered)
    assert "long" in entered and long.is_alive()  # in beside the long one, still running
    assert entered["second"] - asked >= 0.09  # after the patience, not at once
    third_in = threading.Event()

    def third() -> None:
        gate.enter()
        third_in.set()
        gate.leave()

    t = threading.Thread(target=third)
    t.start()
    # The second is recent: the one slot is taken until it leaves or runs long too.
    assert not third_in.wait(0.05) or time.monotonic() - entered["second"] >= 0.09
    release_second.set()
    assert third_in.wait(10)
    release_long.set()
    for thread in (long, second, t):
        thread.join(10)
    assert gate.waiting() == 0 and not gate.holding()


def test_a_wait_cut_short_leaves_the_line_as_it_was() -> None:
    """A thread interrupted while it waits (here by a signal's exception) is out of the line
    and holds nothing: the slot goes to the next one, not to nobody."""
    import signal

    gate = Gate(1, patience=None)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        gate.enter()
        inside.set()
        release.wait(10)
        gate.leave()

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)

    class Interrupted(Exception):
        pass

    def interrupt(signum: int, frame: Any) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(Interrupted):
            gate.enter()  # waits behind the holder until the signal
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert gate.waiting() == 0 and not gate.holding()
    release.set()
    holder.join(10)
    got_in = threading.Event()
    threading.Thread(target=lambda: (gate.enter(), got_in.set(), gate.leave())).start()
    assert got_in.wait(5), "the slot went to the interrupted thread, which never gives it back"


def test_a_gate_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        Gate(0)


def test_the_app_runs_with_a_turn_and_its_answer_is_sent_without(workdir: Path) -> None:
    gate = Gate(1)
    seen: list[tuple[str, bool]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        seen.append(("app", gate.holding()))
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body() -> Iterator[bytes]:
            seen.append(("body", gate.holding()))
            yield b"streamed"

        return body()

    gated = Gated(app, gate)
    out = gated(EnvironBuilder(path="/").get_environ(), lambda *a: None)
    assert b"".join(out) == b"streamed"
    assert seen == [("app", True), ("body", False)]
    # A failing app gives its turn back too.
    failing = Gated(lambda environ, start: 1 / 0, gate)
    with pytest.raises(ZeroDivisionError):
        failing({}, lambda *a: None)
    assert not gate.holding() and gate.waiting() == 0
    gate.enter()  # the one slot is free
    gate.leave()

    # Flask's answers pass through as they were.
    flask_app = make_app(workdir)
    plain = flask_app.test_client().get("/api/claims?limit=3").get_data()
    flask_app.wsgi_app = Gated(flask_app.wsgi_app, gate)
    assert flask_app.test_client().get("/api/claims?limit=3").get_data() == plain


def test_a_search_waiting_for_the_database_waits_outside(workdir: Path) -> None:
    """A search that finds the database in another thread's hands (a build) waits inside
    `waiting`, which `annotate serve` makes give its turn up."""
    app = make_app(workdir)
    search = app.extensions["annotate"].search
    assert isinstance(search, SearchIndex)
    search.claims("iskander")  # built
    waited: list[str] = []

    class Recorded:
        def __enter__(self) -> None:
            waited.append("out")

        def __exit__(self, *exc: object) -> None:
            waited.append("back")

    search.waiting = Recorded
    search.claims("iskander")
    assert waited == []  # nobody else had it: no wait

    held, release = threading.Event(), threading.Event()

    def build() -> None:
        with search._locked():
            held.set()
            release.wait(10)

    builder = threading.Thread(target=build)
    builder.start()
    assert held.wait(10)
    found: list[list[str]] = []
    searcher = threading.Thread(target=lambda: found.append(search.claims("iskander").ids))
    searcher.start()
    _until(lambda: waited == ["out"])
    release.set()
    builder.join(10)
    searcher.join(10)
    assert waited == ["out", "back"]
    assert found and found[0] == search.claims("iskander").ids and found[0]
