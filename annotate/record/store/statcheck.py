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
milliseconds: it runs as a script, `python -S -P statcheck.py STORE DATABASE`, and writes
to its standard output the names of the claim files it listed, then those of them whose
kept row is missing or holds another signature (`Found.stale`), then those files'
signatures in decimal: each list joined by a NUL byte and followed by two (no name is
empty or holds one).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

ELSEWHERE_FROM = 4 * 1024 * 1024
"""Bytes of kept index from which its check is made in a process of its own (about 9,000
claims: below it, the check in the server's process takes about as long as starting one)."""

log = logging.getLogger(__name__)


def signature(st: os.stat_result) -> int:
    """A file's identity and state in one int: its inode above, a hash of mtime and size below
    (one small object per file in the index, instead of a tuple of three). The same in every
    process of one Python (a tuple of ints hashes without the per-process seed)."""
    return (st.st_ino << 64) | (hash((st.st_mtime_ns, st.st_size)) & 0xFFFF_FFFF_FFFF_FFFF)


@dataclass
class Found:
    """What the check found: the claim files listed, and those among them whose kept row
    cannot be taken as it is (none, or of another signature: changed since, by an edit in
    place, a `git pull` or another process), with the signature each has now (the files are
    read with it, not stat-ed again)."""

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


def _answer(root: str, database: str) -> bytes:
    """The check's answer as `main` writes it (see the module). :raise OSError,
    sqlite3.Error: the folder or the database cannot be read."""
    kept = _kept(database)
    listed: list[bytes] = []
    stale: list[bytes] = []
    sigs: list[bytes] = []
    for name, sig in _names(os.fsencode(root)):
        listed.append(name)
        if kept.get(name) != sig:
            stale.append(name)
            sigs.append(b"%d" % sig)
    return b"".join(b"\0".join(part) + b"\0\0" for part in (listed, stale, sigs))


def _found(answer: bytes) -> Found | None:
    """What an answer says; None when it is not a whole one. The names are decoded as
    `os.fsdecode` decodes each, in one call rather than one a name."""
    parts = answer.split(b"\0\0")
    if len(parts) != 4 or parts[3]:
        return None
    how = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
    listed, stale = (part.decode(*how).split("\0") if part else [] for part in parts[:2])
    sigs = [int(s) for s in parts[2].split(b"\0")] if parts[2] else []
    if len(sigs) != len(stale):
        return None
    return Found(set(listed), dict(zip(stale, sigs, strict=True)))


def check(root: str, database: str) -> Found:
    """The check, made in this process. :raise OSError, sqlite3.Error: it could not be made
    (the folder or the database cannot be read)."""
    found = _found(_answer(root, database))
    assert found is not None  # made whole here
    return found


class Checking:
    """The check under way: in a process of its own when the kept index is big (see the
    module), else made when `found` is asked for. Start it before decoding the rows."""

    def __init__(self, root: str, database: str) -> None:
        self.root, self.database = root, database
        self._proc: subprocess.Popen[bytes] | None = None
        try:
            big = os.path.getsize(database) >= ELSEWHERE_FROM
        except OSError:
            big = False
        # (An embedded interpreter may have no executable to start: the check is made here.)
        if big and sys.executable and (os.cpu_count() or 1) > 1:
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-S", "-P", __file__, root, database],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
            except OSError as exc:
                log.info("checking the kept index in this process (%s)", exc)

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
            log.warning(
                "the check of the kept index in a process of its own failed (%s): made here",
                why[-1] if why else "no answer",
            )
        return check(self.root, self.database)


def main(argv: list[str]) -> int:
    root, database = argv
    sys.stdout.buffer.write(_answer(root, database))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
