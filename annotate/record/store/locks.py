"""The write locks: one of `LOCK_STRIPES` per claim, held across threads (a thread lock)
and processes (`flock` on a lock file in the store), made anew in a forked child."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from . import statcheck
from .base import StoreState
from .claimfile import TEMP

LOCK_STRIPES = 64


every_store: weakref.WeakSet[Locks] = weakref.WeakSet()
"""Every store of this process, for `_after_fork`."""


def _after_fork() -> None:
    for store in list(every_store):
        store._forked()


os.register_at_fork(after_in_child=_after_fork)


class Locks(StoreState):
    """Locking claims for writes (part of `Store`)."""

    @contextmanager
    def locked(self, claim_id: str) -> Iterator[None]:
        """Hold the write lock of one claim (threads of this process and other processes).

        One of `LOCK_STRIPES` locks: a thread lock, then `flock` on that stripe's lock file.
        Not POSIX record locks (`lockf`): those belong to the whole process, so the kernel's
        deadlock check mistakes two processes whose threads wait on different stripes held by
        each other for a deadlock and fails the write with EDEADLK. `flock` locks belong to
        an open file and are never refused that way.
        """
        stripe = zlib.crc32(claim_id.encode()) % LOCK_STRIPES
        with self._stripes[stripe]:
            fd = self._lock_file(stripe)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_dir(self) -> Path:
        """Where the lock files and the change log of this store are: in the store's own
        `.annotate-tmp/locks/` (ignored by git and by reading), so that every process that
        writes this folder meets the same locks, whatever its temp folder (a service with a
        private /tmp, a user's shell with another TMPDIR). Made on the first write."""
        return self.root / TEMP / statcheck.LOCKS

    def _open_lock_file(self, name: str, flags: int) -> int:
        """Open a file of the lock folder, making the folder if it is not there (yet, or any
        more: someone cleaned up)."""
        path = self._lock_dir() / name
        try:
            return os.open(path, flags, 0o600)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, flags, 0o600)

    def _forked(self) -> None:
        """In a process just forked from this one (a pre-forked server's worker): lock files
        opened before the fork are the parent's too, and an `flock` belongs to the open file,
        so a lock taken through them would not exclude the parent. The child opens its own
        (the copies are closed, never unlocked: that would release the parent's lock), and
        gets fresh thread locks (a thread of the parent may have held one at the fork)."""
        for fd in [*self._lock_fds.values(), self._folder_fd]:
            if fd is not None:
                with suppress():
                    os.close(fd)
        self._lock_fds = {}
        self._folder_fd = None
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self._folder_lock = threading.Lock()
        self._cache_lock = threading.RLock()

    def _lock_file(self, stripe: int) -> int:
        fd = self._lock_fds.get(stripe)
        if fd is None:
            fd = self._open_lock_file(f"{stripe}.lock", os.O_RDWR | os.O_CREAT)
            self._lock_fds[stripe] = fd
        return fd


@contextmanager
def suppress() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass
