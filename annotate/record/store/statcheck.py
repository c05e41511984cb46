"""The check that a start from the kept index (`persisted`) makes of the store folder: one
listing, and a stat of every claim file compared with the signature its kept row holds.

At 100,000 claims that check is a third of the CPU a warm start takes before its first page
(0.4 s on 2 cores), and it does not need what the rest of the start does (decoding the kept
rows): a big store has it made by a process of its own, on another core, meanwhile
(`Checking`). Python threads would not run it beside the decoding (both hold the
interpreter: tried, the start took longer). A small store, a machine with one core, or a
process that cannot be started has it made in the server's own process instead, by the
same function (`check`).

This module imports only the standard library, so that the check's process starts in a few
milliseconds: it runs as a script, `python -S -P statcheck.py STORE`, and writes to its
standard output where the folder stood before it listed it (`Found.since`: its mtime and
inode, the time, and the change log's inode and size, in decimal, separated by spaces), the
names of the claim files it listed, then those of them whose kept row is
missing or holds another signature (`Found.stale`), then those files' signatures in
decimal: each part's items joined by a NUL byte and the part followed by two (no name is
empty or holds one).

`annotate serve` begins it (`begin`) as soon as it starts, before the app's imports (half a
second at 100,000 claims, as long as the check), and the start takes its answer then
(`Checking`). Its answer is of the folder as it was when the check began: the index starts
from there (`since`), and applies what the change log holds after it, as for any save made
while a server runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

TEMP = ".annotate-tmp"
"""The store's scratch folder (ignored by git and by reading): the kept index, the locks and
the change log, and where a write prepares its file (see `claimfile`)."""
INDEX_FILE = "index.sqlite"
"""The kept index, in `TEMP` (see `persisted`)."""
LOCKS = "locks"
"""The lock files and the change log, in `TEMP` (see `locks`, `changelog`)."""
CHANGES = "changes.log"
"""The change log, in `LOCKS` (see `changelog`)."""


def kept_paths(root: str) -> tuple[str, str]:
    """The kept index and the change log of the store folder `root`."""
    temp = os.path.join(root, TEMP)
    return os.path.join(temp, INDEX_FILE), os.path.join(temp, LOCKS, CHANGES)


def log_position(log: str) -> tuple[int, int]:
    """The change log's inode and size now ((0, 0): there is none)."""
    try:
        st = os.stat(log)
    except FileNotFoundError:
        return (0, 0)
    return (st.st_ino, st.st_size)


ELSEWHERE_FROM = 4 * 1024 * 1024
"""Bytes of kept index from which its check is made in a process of its own (about 9,000
claims: below it, the check in the server's process takes about as long as starting one)."""

logger = logging.getLogger(__name__)


def signature(st: os.stat_result) -> int:
    """A file's identity and state in one int: its inode above, a hash of mtime and size below
    (one small object per file in the index, instead of a tuple of three). The same in every
    process of one Python (a tuple of ints hashes without the per-process seed)."""
    return (st.st_ino << 64) | (hash((st.st_mtime_ns, st.st_size)) & 0xFFFF_FFFF_FFFF_FFFF)


Since = tuple[tuple[int, int], int, tuple[int, int]]
"""Where a look at the folder began: the folder's mtime (ns) and inode, the time (ns), and
the change log's inode and size ((0, 0): none), each taken before the next."""


@dataclass
class Found:
    """What the check found: where the folder stood before it was listed, the claim files
    listed, and those among them whose kept row cannot be taken as it is (none, or of
    another signature: changed since, by an edit in place, a `git pull` or another process),
    with the signature each has now (the files are read with it, not stat-ed again)."""

    since: Since
    listed: set[str] = field(default_factory=set)
    stale: dict[str, int] = field(default_factory=dict)


def _names(root: bytes) -> Iterator[tuple[bytes, int]]:
    """Each claim file's name in the folder (as bytes: no decoding of what is not ours to
    read), with its signature; a file gone before its stat is not listed."""
    with os.scandir(root) as it:
        for entry in it:
            name = entry.name
            if not name.startswith(b".") and name.endswith(b".json"):
                try:
                    yield name, signature(entry.stat())
                except FileNotFoundError:
                    pass


def _kept(database: str) -> dict[bytes, int]:
    """Each kept row's file name (as the file system spells it) and signature."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return {
            os.fsencode(name): int(sig)
            for name, sig in db.execute("SELECT name, signature FROM summaries")
        }
    finally:
        db.close()


def _since(root: str, log: str) -> bytes:
    """Where the folder stands now (`Since`), as the answer's first part. :raise OSError:
    the folder cannot be stat-ed."""
    folder = os.stat(root)
    now = time.time_ns()
    return b"%d %d %d %d %d" % (folder.st_mtime_ns, folder.st_ino, now, *log_position(log))


def _answer(root: str) -> bytes:
    """The check's answer as `main` writes it (see the module). :raise OSError,
    sqlite3.Error: the folder or the database cannot be read."""
    database, log = kept_paths(root)
    since = _since(root, log)
    kept = _kept(database)
    listed: list[bytes] = []
    stale: list[bytes] = []
    sigs: list[bytes] = []
    for name, sig in _names(os.fsencode(root)):
        listed.append(name)
        if kept.get(name) != sig:
            stale.append(name)
            sigs.append(b"%d" % sig)
    return b"".join(b"\0".join(part) + b"\0\0" for part in ([since], listed, stale, sigs))


def _found(answer: bytes) -> Found | None:
    """What an answer says; None when it is not a whole one. The names are decoded as
    `os.fsdecode` decodes each, in one call rather than one a name."""
    parts = answer.split(b"\0\0")
    if len(parts) != 5 or parts[4]:
        return None
    try:
        m, ino, now, log_ino, log_size = (int(n) for n in parts[0].split(b" "))
    except ValueError:
        return None
    how = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    listed, stale = (part.decode(*how).split("\0") if part else [] for part in parts[1:3])
    sigs = [int(s) for s in parts[3].split(b"\0")] if parts[3] else []
    if len(sigs) != len(stale):
        return None
    since = ((m, ino), now, (log_ino, log_size))
    return Found(since, set(listed), dict(zip(stale, sigs, strict=True)))


def check(root: str) -> Found:
    """The check, made in this process. :raise OSError, sqlite3.Error: it could not be made
    (the folder or the database cannot be read)."""
    found = _found(_answer(root))
    assert found is not None  # made whole here
    return found


_begun: dict[str, subprocess.Popen[bytes]] = {}
"""The checks `begin` started, by the store folder they check (its absolute path), until a
start takes one (in this process: `_begun_by`; a process forked since, a server's worker,
takes none)."""
_begun_by = 0


def _spawn(root: str) -> subprocess.Popen[bytes] | None:
    """The check's process, when the kept index is big enough and there is a core for it
    (see the module); None: the check is to be made here."""
    try:
        big = os.path.getsize(kept_paths(root)[0]) >= ELSEWHERE_FROM
    except OSError:
        big = False
    # (An embedded interpreter may have no executable to start: the check is made here.)
    if not (big and sys.executable and (os.cpu_count() or 1) > 1):
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-S", "-P", __file__, root],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        logger.info("checking the kept index in this process (%s)", exc)
        return None


def begin(root: str) -> None:
    """Begin the check of the store folder `root` against its kept index in a process of
    its own, for the start that follows to take (`Checking`): `annotate serve` does so
    before the app's imports. Nothing when the check would be made in the server's process
    anyway (a small store, one core)."""
    global _begun_by
    key = os.path.abspath(root)
    if key not in _begun and (proc := _spawn(key)) is not None:
        _begun[key] = proc
        _begun_by = os.getpid()


def end_begun() -> None:
    """End the checks `begin` started that no start will take (`annotate serve` forking
    its workers, each of which makes its own)."""
    for key in list(_begun):
        _end(_begun.pop(key))


class Checking:
    """The check under way: in a process of its own when the kept index is big (see the
    module), else made when `found` is asked for. Start it before decoding the rows."""

    def __init__(self, root: str) -> None:
        self.root = root
        # The check `begin` started for this folder, if any (the others begun are of no
        # use now: ended); else one started now.
        begun = None
        if _begun_by == os.getpid():
            begun = _begun.pop(os.path.abspath(root), None)
            end_begun()
        self._proc = begun if begun is not None else _spawn(root)

    def found(self) -> Found:
        """What the check found (waiting for its process). :raise OSError, sqlite3.Error: as
        `check` does."""
        if self._proc is not None:
            out, err = self._proc.communicate()
            code, self._proc = self._proc.returncode, None
            found = _found(out) if code == 0 else None
            if found is not None:
                return found
            why = err.decode(errors="replace").strip().splitlines()
            logger.warning(
                "the check of the kept index in a process of its own failed (%s): made here",
                why[-1] if why else "no answer",
            )
        return check(self.root)


def _end(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError):
        proc.kill()
    proc.communicate()


def main(argv: list[str]) -> int:
    (root,) = argv
    sys.stdout.buffer.write(_answer(root))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
