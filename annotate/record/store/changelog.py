"""The change log: every rename into the store folder and every removal from it, logged
under a folder lock as \"mtime before, mtime after, file name\", so that readers in every
process learn of saves without listing the folder (see `Store`)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .base import StoreState
from .statcheck import CHANGES, log_position
from .summary import signature

CHANGES_LOG_LIMIT = 4 * 1024 * 1024
"""The change log (see `Store`) starts afresh past this size; a reader that had not caught up
then lists the folder once."""


class ChangeLog(StoreState):
    """Writing and following the change log (part of `Store`)."""

    def _changes_path(self) -> Path:
        return self._lock_dir() / CHANGES

    def _log_position(self) -> tuple[int, int]:
        """The change log's inode and size now (where a reader that listed the folder goes on)."""
        return log_position(str(self._changes_path()))

    def _catch_up(self, folder: tuple[int, int], limit: int | None = None) -> bool:
        """Apply the logged changes since the last look, if they account for the folder's
        whole change since then (see the class); False when the folder must be listed.

        With `limit`, apply at most that many lines, in order, and stop there (the index is
        then current up to the folder's mtime after the last of them): the following thread
        holds the index's lock only briefly, so that saves do not wait for it.
        """
        if self._log is None or self._folder is None or folder[1] != self._folder[1]:
            return False
        chain = None
        unlogged = False
        for attempt in (1, 2):
            read = self._read_log()
            if read is None:
                return False
            log_ino, offset, data = read
            chain = self._chain(data, self._folder[0])
            if chain is None:
                return False
            # The folder's mtime as stat-ed is where the index stands or where a logged line
            # ends: the log accounts for its change. Lines logged since the stat are applied
            # too (each begins where the one before ends: nothing unlogged came between).
            known = {self._folder[0], *(after for _, after, _ in chain)}
            if folder[0] in known or attempt == 2:
                break
            # A rename shows in the folder just before its line is in the log (its writer
            # adds the line at once, under the folder lock, and acknowledges the save only
            # then). While a writer is there, apply what is logged (every save acknowledged
            # so far) and leave its save to the next look, rather than wait for it: this
            # reader holds the index, and under a stream of saves the wait held every other
            # reader and saver behind it. With no writer there, every rename is logged: read
            # again, and an mtime still missing is a change no writer logged (git, an
            # editor): the folder is listed.
            if self._writer_busy():
                unlogged = True
                break
        assert chain is not None
        if not unlogged and folder[0] not in known:
            return False  # changed by something that logs nothing (git, an editor, a copy)
        # Where to stop: after the last line logged, or after `limit` lines. Never between two
        # lines that end at the same mtime (renames within one timestamp tick): the folder
        # would look unchanged and the rest would wait for the next change.
        end = len(chain)
        if limit is not None and end > limit:
            end = limit
            while end < len(chain) and chain[end][1] == chain[end - 1][1]:
                end += 1
        partial = end < len(chain)
        chain = chain[:end]
        data = b"".join(line for line, _, _ in chain)
        names = {n for _, _, n in chain}
        mtime = chain[-1][1] if chain else self._folder[0]
        for name in sorted(names):
            path = self.root / name
            try:
                sig = signature(os.stat(path))
            except FileNotFoundError:
                if name in self._entries:
                    self._index(name, None)
                continue
            cached = self._entries.get(name)
            if cached is None or cached.signature != sig:
                self._index(name, self._read_entry(str(path), sig, None))
        self._log = (log_ino, offset + len(data))
        self._folder = (mtime, folder[1])
        self._behind = partial
        return True

    @staticmethod
    def _chain(data: bytes, start: int) -> list[tuple[bytes, int, str]] | None:
        """The log lines as (line, mtime after, file name), if each begins where the one
        before ends and the first where the index stands (`start`); None if not."""
        chain: list[tuple[bytes, int, str]] = []
        mtime = start
        for line in data.splitlines(keepends=True):
            before, after, logged = line.rstrip(b"\n").split(b" ", 2)
            if int(before) != mtime:
                return None
            mtime = int(after)
            chain.append((line, mtime, logged.decode("utf-8")))
        return chain

    def _read_log(self) -> tuple[int, int, bytes] | None:
        """The change log's inode, where this reader stands in it, and the whole lines since
        (None: the log is not there, or started afresh meanwhile)."""
        assert self._log is not None
        ino, offset = self._log
        try:
            fd = os.open(self._changes_path(), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            st = os.fstat(fd)
            if (ino and st.st_ino != ino) or st.st_size < offset:
                return None  # the log started afresh meanwhile
            data = os.pread(fd, st.st_size - offset, offset)
        finally:
            os.close(fd)
        return st.st_ino, offset, data[: data.rfind(b"\n") + 1]  # a line being written: later

    def _writer_busy(self) -> bool:
        """Whether a writer (a thread or a process) is between a rename into the store and
        its line in the change log now (they hold the folder lock for both)."""
        try:
            fd = os.open(self._lock_dir() / "folder.lock", os.O_RDONLY)
        except OSError:
            return False  # no writer ever locked this store, or it cannot be opened
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # the lock goes with it
        return False

    @contextmanager
    def _folder_change(self, name: str) -> Iterator[None]:
        """Around a rename into, or a removal from, the store folder: under the folder lock
        (threads and processes), log the folder's mtime before and after with the file name,
        so that readers in every process learn of it without listing the folder."""
        with self._folder_lock:
            if self._folder_fd is None:
                self._folder_fd = self._open_lock_file("folder.lock", os.O_RDWR | os.O_CREAT)
            fd = self._folder_fd
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                before = os.stat(self.root).st_mtime_ns
                yield
                after = os.stat(self.root).st_mtime_ns
                log = self._open_lock_file(CHANGES, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    os.write(log, f"{before} {after} {name}\n".encode())
                    self._logged += 1
                    if self._logged % 64 == 0 and os.fstat(log).st_size > CHANGES_LOG_LIMIT:
                        os.unlink(self._changes_path())
                finally:
                    os.close(log)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
