"""Giving memory back after big answers, for a long-running server (glibc only; nothing
happens elsewhere).

A request that makes many objects at once (a page of 1,000 claims, an export, the W3C
container) frees them when it ends, but glibc's allocator keeps the freed memory for later
instead of giving it back to the system, and with a thread per request it keeps it in one
arena per thread: at 100,000 claims a server that had answered every list and export once
held 130 MB more than at start, none of it in use (see docs/performance.md, "Memory").

`serve` therefore limits the arenas (`limit_arenas`, before its threads start) and wraps the
app in `TrimAfter`, which asks glibc to give back what is free (`malloc_trim`) when a
response ends and the process has grown by `GROWTH` since the last time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

M_ARENA_MAX = -8
"""`mallopt`'s parameter for the most arenas glibc makes (malloc.h)."""

ARENAS = 2
"""Arenas for a server: with 2, the sequence of bench.memory left it 6 to 10 MB lower than
with glibc's default (8 per core), in the same run."""

GROWTH = 4 * 1024 * 1024
"""Bytes of growth (resident) since the last trim that make the end of a response trim (a
trim costs well under a millisecond: most responses grow the process by less and skip it)."""

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _glibc() -> Any | None:
    """glibc's C library, or None (another libc, or no such functions)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def available() -> bool:
    """Whether this process's allocator is glibc's (what the functions here act on)."""
    return _LIBC is not None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let glibc make at most `arenas` arenas from now on; whether it took it. Not when the
    environment sets glibc's own `MALLOC_ARENA_MAX`: the operator's choice stands."""
    if _LIBC is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(_LIBC.mallopt(M_ARENA_MAX, arenas))


_statm: int | None = None
"""This process's `/proc/self/statm`, kept open (`resident` runs after every response: one
read of an open file costs a system call, opening it as a Python file five and 4 µs more)."""
_statm_lock = threading.Lock()


def _statm_fd() -> int:
    global _statm
    if _statm is None:
        with _statm_lock:
            if _statm is None:
                _statm = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    return _statm


def _forget_statm() -> None:
    """In a forked child: the kept file is the parent's (`/proc/self` was the parent then)."""
    global _statm
    if _statm is not None:
        try:
            os.close(_statm)
        except OSError:
            pass
        _statm = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_statm)


def resident() -> int:
    """The process's resident memory in bytes (0 when unknown)."""
    try:
        return int(os.pread(_statm_fd(), 128, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError, AttributeError):  # no /proc, no `os.pread`
        return 0


def trim() -> bool:
    """Give what the allocator holds free back to the system; whether any was."""
    return _LIBC is not None and bool(_LIBC.malloc_trim(0))


class TrimAfter:
    """WSGI middleware: when a response has been sent (its iterable closed) and the process
    has grown by more than `growth` bytes since the last trim, `trim`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], growth: int = GROWTH) -> None:
        self.app = app
        self.growth = growth
        self._lock = threading.Lock()
        self._after = resident()
        self.trims = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        body = self.app(environ, start_response)
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(wrapper, type) and isinstance(body, wrapper):
            return body  # a file sent as it is (the server may send it without copying)
        return _Closing(body, self._maybe_trim)

    def _maybe_trim(self) -> None:
        now = resident()
        if now - self._after <= self.growth:
            self._after = min(self._after, now)  # it shrank by itself: measure from there
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is trimming
        try:
            trim()
            self.trims += 1
            self._after = resident()
        finally:
            self._lock.release()


class _Closing:
    """A response's iterable whose `close` calls `then` after the original's."""

    def __init__(self, body: Iterable[bytes], then: Callable[[], None]) -> None:
        self.body = body
        self.then = then

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.then()
