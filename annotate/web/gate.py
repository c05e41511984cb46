"""A few requests at a time in the interpreter, the others waiting their turn in order.

One Python process runs Python on one core at a time (the GIL). With many threads serving
at once, each hands the interpreter over to the others every few system calls (a save makes
some 30, a page waits for the index's lock), and the handing over itself costs the CPU:
on 2 cores at 100,000 claims, 16 threads saving did 410 saves a second at 2.8 ms of CPU
each, 2 threads 510 at 2.0 ms, with p99 68 against 42 ms (docs/performance.md, "Requests
in the interpreter at once"). Fewer threads alone would let a few long requests (a search
waiting for its database to be built) hold the server for everyone.

So `annotate serve` keeps its threads (`--threads`: requests that may be under way) and
lets `slots` of them run the app at once (`--running`); the others wait, each on a lock of
its own, and are let in first come, first served (`threading.Semaphore` wakes its waiters
in no order, which put the slowest requests' wait at the back of a crowd: its p99 was
worse). A thread waiting here does not ask for the interpreter.

What a request does after the app has answered, streaming the body of an export or a large
list as it is made, is not counted: it may take long, and holds no slot. A request that is
about to wait for something slow (`Gate.outside`) gives its slot up meanwhile and takes its
turn again after.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

RUNNING = 2
"""Requests that run the app at once by default: one in the interpreter while another waits
for the disk (a save's fsync). Measured best on 2 cores (docs/performance.md)."""


class Gate:
    """At most `slots` holders at once; the others are let in in the order they came."""

    def __init__(self, slots: int = RUNNING) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self._free = slots
        self._lock = threading.Lock()
        self._queue: deque[threading.Lock] = deque()
        self._held = threading.local()

    def enter(self) -> None:
        """Take a slot, waiting for one in turn."""
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                self._held.value = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append(turn)
        turn.acquire()  # released by `leave`, which hands its slot to this thread
        self._held.value = True

    def leave(self) -> None:
        """Give the slot back (to the first waiting, if any)."""
        self._held.value = False
        with self._lock:
            if self._queue:
                self._queue.popleft().release()
            else:
                self._free += 1

    def holding(self) -> bool:
        """Whether this thread holds a slot."""
        return bool(getattr(self._held, "value", False))

    @contextmanager
    def outside(self) -> Iterator[None]:
        """Without this thread's slot while in the block (if it holds one): for a wait that
        may be long, so that the others go on meanwhile; back in turn after."""
        if not self.holding():
            yield
            return
        self.leave()
        try:
            yield
        finally:
            self.enter()

    def waiting(self) -> int:
        """How many wait for a slot now."""
        with self._lock:
            return len(self._queue)


class Gated:
    """WSGI middleware: the app runs holding a slot of `gate`; the body it answers is sent
    without one."""

    def __init__(self, app: Callable[..., Iterable[bytes]], gate: Gate) -> None:
        self.app = app
        self.gate = gate

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.gate.enter()
        try:
            return self.app(environ, start_response)
        finally:
            self.gate.leave()
