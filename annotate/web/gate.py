"""A few requests at a time in the interpreter, the others waiting their turn in order.

One Python process runs Python on one core at a time (the GIL). With many threads serving
at once, each hands the interpreter over to the others at every system call (a save makes
some 30) and every lock it waits on, and the handing over itself costs CPU: at 100,000
claims on 2 cores, 16 clients saving got 306 saves a second at 4.05 ms of CPU each with every
thread in the app at once, 423 at 2.66 ms with two (docs/performance.md, "Requests that
run at once"). Fewer threads alone would let a few long requests hold the server for
everyone.

So `annotate serve` keeps its threads (`--threads`: requests under way) and lets `slots` of
them run the app at once (`--running`); the others wait, each on a lock of its own, and are
let in first come, first served. A thread waiting here does not ask for the interpreter.
(`threading.Semaphore` lets a thread that has just given its slot back take it again before
one already waiting: some requests went to the back of the line again and again.)

A request that has run for `patience` seconds no longer counts against the slots: two long
requests (a big ingest, a first page of a very large list) do not stop the short ones, which
go on beside them after that wait. What a request does after the app has answered,
streaming the body of an export as it is made, holds no slot. A request that is about to
wait for something slow (`Gate.outside`: a search while its database is being built) gives
its slot up meanwhile and takes its turn again after.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

RUNNING = 2
"""Requests that run the app at once by default: one in the interpreter while another waits
for the disk (a save's fsync). Whatever the cores, one process runs Python on one of them at
a time (`--workers` uses more); measured on 2 (docs/performance.md)."""

PATIENCE = 0.25
"""Seconds after which a request in the app no longer counts against the slots (a page
takes a few milliseconds, a save less)."""


class Gate:
    """At most `slots` holders that have held for less than `patience` seconds (None: any
    time) at once; the others are let in in the order they came."""

    def __init__(self, slots: int = RUNNING, patience: float | None = PATIENCE) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots = slots
        self.patience = patience
        self._lock = threading.Lock()
        self._queue: deque[tuple[threading.Lock, int]] = deque()
        """Those waiting, first first: the lock each waits on, and its thread's id."""
        self._since: dict[int, float] = {}
        """When each holder (by thread id) came in."""

    def _room(self) -> bool:
        """Whether one more may come in now (under `_lock`)."""
        if len(self._since) < self.slots:
            return True
        if self.patience is None:
            return False
        recent = time.monotonic() - self.patience
        return sum(1 for at in self._since.values() if at > recent) < self.slots

    def _admit(self) -> None:
        """Let in those first in line while there is room (under `_lock`)."""
        while self._queue and self._room():
            turn, ident = self._queue.popleft()
            self._since[ident] = time.monotonic()  # a holder from now on (counted at once)
            turn.release()

    def enter(self) -> None:
        """Take a slot, waiting for one in turn."""
        me = threading.get_ident()
        with self._lock:
            if not self._queue and self._room():
                self._since[me] = time.monotonic()
                return
            turn = threading.Lock()
            turn.acquire()
            self._queue.append((turn, me))
        try:
            while not turn.acquire(timeout=self.patience or -1):
                # The holders may have become long since: the first in line looks again.
                with self._lock:
                    if turn.acquire(blocking=False):
                        return  # let in meanwhile
                    if self._queue[0][0] is turn and self._room():
                        self._queue.popleft()
                        self._since[me] = time.monotonic()
                        return
            # let in by a holder leaving (`_admit`)
        except BaseException:
            # Interrupted while waiting: out of the line, or, let in meanwhile, out again.
            with self._lock:
                if (turn, me) in self._queue:
                    self._queue.remove((turn, me))
                else:
                    self._since.pop(me, None)
                    self._admit()
            raise

    def leave(self) -> None:
        """Give the slot back (to the first waiting, if there is room)."""
        with self._lock:
            self._since.pop(threading.get_ident(), None)
            self._admit()

    def holding(self) -> bool:
        """Whether this thread holds a slot."""
        with self._lock:
            return threading.get_ident() in self._since

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
