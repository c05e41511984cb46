"""Atomic writes: a file is either the old one or the new one, whole and on disk (temp file,
fsync, rename, folder fsync)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ...errors import disk_problem
from .base import StoreState
from .claimfile import TEMP
from .locks import suppress
from .summary import signature


class AtomicFiles(StoreState):
    """Writing files atomically (part of `Store`)."""

    def _atomic_write(self, path: Path, data: bytes) -> int:
        """Write `data` to `path` so that it is either the old file or the new, whole and on
        disk, whatever happens: temp file, fsync, rename, folder fsync. The new file's
        signature (taken from the open temp file: the rename keeps inode, size and mtime).

        :raise DiskProblem: the disk refused the write (full, quota, read-only); nothing
            was changed.
        """
        try:
            return self._write_whole(path, data)
        except OSError as exc:
            problem = disk_problem(exc)
            if problem is not None:
                raise problem from exc
            raise

    def _write_whole(self, path: Path, data: bytes) -> int:
        into_store = path.parent == self.root
        prepare = self.root / TEMP if into_store else path.parent
        fd, tmp = self._temp_file(prepare, path.name)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
                sig = signature(os.fstat(fd))
            finally:
                os.close(fd)
            if into_store:
                with self._folder_change(path.name):
                    os.replace(tmp, path)
            else:
                os.replace(tmp, path)
        except BaseException:
            with suppress():
                os.unlink(tmp)
            raise
        if self.fsync:
            self._fsync_dir(path.parent)
        return sig

    @staticmethod
    def _temp_file(folder: Path, name: str) -> tuple[int, str]:
        """A new, empty temp file `.<name>.<random>.tmp` in `folder` (made if missing), open
        for writing; its descriptor and path. (`sweep` knows the name.) Its mode is what the
        umask gives any new file there, as an editor or `git checkout` would make it, so that a
        store shared by a group stays readable to the group."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:
            tmp = f"{folder}/.{name}.{secrets.token_hex(4)}.tmp"
            try:
                return os.open(tmp, flags, 0o666), tmp
            except FileNotFoundError:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                continue

    def _fsync_dir(self, folder: Path) -> None:
        if not self.fsync:
            return
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
