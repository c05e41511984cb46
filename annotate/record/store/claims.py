"""The claim store: the claims of one folder, read through the index and written
compare-and-set under their lock, atomically, each rename logged. All disk access to the
store is in this package.

Writes are atomic (temp file, fsync, rename, directory fsync) and compare-and-set on the claim's
`version` under a lock that holds across threads and across server processes on one machine:
a write names the version it read, and a stale one is refused, never merged.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, KeysView
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import AlreadyExists, BrokenRecord, NotFound, StaleVersion, detail
from .. import clock
from ..models import Claim
from .atomic import AtomicFiles
from .changelog import ChangeLog
from .claimfile import (
    NO_PROBLEMS,
    TEMP,
    TRASH,
    HistoryBytes,
    StoreProblem,
    claim_bytes,
    history_bytes,
    parse_claim_file,
    safe_id,
)
from .index import CACHED_CLAIMS, Index
from .locks import LOCK_STRIPES, Locks, every_store, suppress
from .persisted import IndexFile
from .summary import Counts, Entry, Summary, signature


@dataclass(eq=False)  # one store is one folder's live state: compared by identity
class Store(Index, ChangeLog, Locks, AtomicFiles):
    """The claims of one store folder, indexed in memory and kept current with the disk.

    The index holds a `Summary` per claim file (and the problems of broken files), not the
    parsed claims: those are read on demand and a bounded number kept (`CACHED_CLAIMS`).

    How changes are noticed:

    - this process's own writes update the index as they happen (a save touches one file);
    - every rename into the folder and every removal from it made through a `Store` (in any
      process: servers, `annotate import`, `reanchor`) is written, under a folder lock, to a
      change log beside the lock files as "mtime before, mtime after, file name". A read
      stats the folder once; when its mtime moved, it reads the new lines of the log and, if
      they account for the whole move (each line's "before" is the previous "after", the last
      "after" is the folder's mtime now), stats only the files named there: saves, by other
      processes or this one, then cost a read nothing more;
    - any other change to the folder (`git pull`, a copy, most editors) breaks that chain: the
      folder is then listed and the files whose inode differs are re-read. (One that lands
      within the file system's timestamp granularity of a logged rename leaves no trace in
      the mtime: the full check below finds it.)
    - an edit in place (same inode, folder untouched) is noticed by the full check, which
      stats every file: at most every `FULL_CHECK_SECONDS` on reads, and always by `scan()`,
      `claims()` and `get()`.
    """

    root: Path
    fsync: bool = True
    _entries: dict[str, Entry] = field(default_factory=dict)
    _by_doc: dict[str, list[str]] = field(default_factory=dict)
    _folder: tuple[int, int] | None = None
    _folder_settled: bool = False
    _last_full: float = 0.0
    _following: bool = False
    _behind: bool = False
    _roll: list[str] = field(default_factory=list)
    _roll_size: int = 0
    _full: OrderedDict[str, tuple[int, Claim]] = field(default_factory=OrderedDict)
    _histories: OrderedDict[str, HistoryBytes] = field(default_factory=OrderedDict)
    """The encoded history of the claims saved lately (`claimfile.HistoryBytes`), by id."""
    _cache_lock: threading.RLock = field(default_factory=threading.RLock)
    _stripes: list[threading.Lock] = field(
        default_factory=lambda: [threading.Lock() for _ in range(LOCK_STRIPES)]
    )
    _lock_fds: dict[int, int] = field(default_factory=dict)
    _generation: int = 0
    _derived: dict[str, tuple[int, Any]] = field(default_factory=dict)
    """What `Index.derived` made from the summaries, by name, with the generation it is of."""
    _doc_summaries: dict[str, tuple[int, list[Summary]]] = field(default_factory=dict)
    """The valid summaries of the documents asked for lately, with the generation they are
    of (see `Index.summaries`)."""
    _counts: tuple[int, Counts] | None = None
    _valid_cache: tuple[int, dict[str, Summary], KeysView[str], list[StoreProblem]] | None = None
    _claimants: Counter[str] = field(default_factory=Counter)
    _log: tuple[int, int] | None = None
    _folder_lock: threading.Lock = field(default_factory=threading.Lock)
    _folder_fd: int | None = None
    _logged: int = 0
    _dirty: set[str] | None = None
    """The files indexed anew since the search index last looked (None: no search index
    follows this store; see `search.SearchIndex`)."""
    _kept: IndexFile | None = None
    """The index kept between runs (`persisted`), once `keep_index` is called."""
    _unsaved: dict[str, Entry | None] = field(default_factory=dict)
    """The entries indexed anew that `_kept` does not hold yet (only while it is kept)."""
    _saved_at: float = 0.0
    _saving: threading.Lock = field(default_factory=threading.Lock)
    """Held by whoever writes `_kept` (`save_kept`): a stop waits for the thread's write
    under way, then writes the rest."""

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        every_store.add(self)

    def path_for(self, claim_id: str) -> Path:
        """The file that holds a claim."""
        return self.root / f"{claim_id}.json"

    def parse_file(self, path: Path | str) -> tuple[Claim | None, list[StoreProblem]]:
        """Read and validate one claim file, as the index does: the claim, or its problems."""
        return parse_claim_file(path)

    def claims(self) -> list[Claim]:
        """Every valid claim, sorted by id."""
        found, _ = self.scan()
        return [found[k] for k in sorted(found)]

    def each_claim(self) -> Iterator[Claim]:
        """Every valid claim, sorted by id, as `claims()` gives them, but read one at a time
        (each file stat-ed first): an export of 100,000 claims holds one, not all of them."""
        for name, sig in self.valid_files():
            claim = self._cached(name, sig)
            if claim is None:
                claim, _ = parse_claim_file(self.root / name)
                if claim is None:  # changed since it was indexed, and now broken
                    continue
            yield claim

    def get(self, claim_id: str) -> Claim:
        """One claim, as it is on disk now.

        :raise NotFound: no such claim. :raise BrokenRecord: its file does not validate.
        """
        path = self.path_for(claim_id)
        if not safe_id(claim_id):
            raise NotFound(f"no claim '{claim_id}'")
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"no claim '{claim_id}'") from None
        if not stat.S_ISREG(st.st_mode):
            raise NotFound(f"no claim '{claim_id}'")
        sig = signature(st)
        claim = self._cached(path.name, sig)
        if claim is not None:
            return claim
        claim, problems = parse_claim_file(path)
        if claim is None:
            raise BrokenRecord(
                f"claim file {path.name} is broken: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems)
                + "; mend it by hand (annotate check names the problem), nothing was changed",
                path.name,
                [detail(p.field, p.message) for p in problems],
            )
        self._remember(path.name, sig, claim)
        return claim

    def file_names(self) -> list[str]:
        """The names of the claim files in the folder now, sorted (valid or not; no reading).

        :raise NotFound: the store folder does not exist.
        """
        if not self.root.is_dir():
            raise NotFound(f"store folder {self.root} does not exist")
        with os.scandir(self.root) as it:
            return sorted(
                e.name for e in it if e.name.endswith(".json") and not e.name.startswith(".")
            )

    def exists(self, claim_id: str) -> bool:
        """Whether a file for that claim id exists (valid or not)."""
        return safe_id(claim_id) and self.path_for(claim_id).exists()

    def create(self, claim: Claim) -> Claim:
        """Write a new claim.

        :raise AlreadyExists: a claim file with that id is there already.
        """
        with self.locked(claim.id):
            if self.path_for(claim.id).exists():
                raise AlreadyExists(f"a claim with id '{claim.id}' exists already")
            self._write(claim)
        return claim

    def update(
        self, claim_id: str, expected_version: int, change: Callable[[Claim], Claim]
    ) -> Claim:
        """Compare-and-set: apply `change` to the claim if its version is still the one read.

        `change` gets the current claim and returns the new one (with version + 1).

        :raise StaleVersion: the claim changed since `expected_version`; carries the current one.
        """
        with self.locked(claim_id):
            current = self.get(claim_id)
            if current.version != expected_version:
                raise StaleVersion(
                    f"claim '{claim_id}' is at version {current.version}, not "
                    f"{expected_version}: someone else changed it since you read it",
                    current,
                )
            new = change(current)
            if new.version != current.version + 1 or new.id != current.id:
                raise AssertionError("a change must keep the id and add one to the version")
            self._write(new)
            return new

    def delete(
        self, claim_id: str, expected_version: int, tombstone: Callable[[Claim], Claim]
    ) -> Claim:
        """Move a claim out of the store into `.trash/`, with its history: nothing is lost.

        :raise StaleVersion: the claim changed since `expected_version`.
        """
        with self.locked(claim_id):
            current = self.get(claim_id)
            if current.version != expected_version:
                raise StaleVersion(
                    f"claim '{claim_id}' is at version {current.version}, not "
                    f"{expected_version}: someone else changed it since you read it",
                    current,
                )
            final = tombstone(current)
            trash = self.root / TRASH
            trash.mkdir(exist_ok=True)
            stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
            self._atomic_write(
                trash / f"{claim_id}.v{final.version}.{stamp}.json", claim_bytes(final)
            )
            with self._folder_change(f"{claim_id}.json"):
                os.unlink(self.path_for(claim_id))
            self._fsync_dir(self.root)
            with self._cache_lock:
                self._index(f"{claim_id}.json", None)
                self._histories.pop(claim_id, None)
            return final

    def write_unchecked(self, claim: Claim) -> None:
        """Write a claim as given, under its lock (for bulk tools such as import)."""
        with self.locked(claim.id):
            self._write(claim)

    def sweep(self) -> list[Path]:
        """Remove the temp files of writes that a crash interrupted; the paths removed.

        A write's temp file (`.<claim-id>.json.<random>.tmp`, in `.trash/` for deletions) only
        exists while its writer holds the claim's lock, so one whose lock can be taken is left
        over from a process that died mid-write: its rename never happened, the claim file is
        the previous version, and the temp file is not a claim. Reading ignores such files
        anyway (names starting with a dot); this keeps them from piling up. Safe while other
        processes serve the same store: a live write holds the lock.
        """
        removed: list[Path] = []
        for folder in (self.root, self.root / TEMP, self.root / TRASH):
            if not folder.is_dir():
                continue
            # Names compared as strings, not `glob`'s pattern matched on every name: at
            # 100,000 claims (a file each) 56 ms of a server's start instead of 80.
            with os.scandir(folder) as it:
                names = sorted(e.name for e in it if e.name[:1] == "." and e.name[-4:] == ".tmp")
            for name in names:
                path = folder / name
                claim_id = name[1:].split(".", 1)[0]
                if not safe_id(claim_id):
                    continue
                with self.locked(claim_id), suppress():
                    path.unlink()
                    removed.append(path)
        return removed

    def _write(self, claim: Claim) -> None:
        path = self.path_for(claim.id)
        with self._cache_lock:
            known = self._histories.pop(claim.id, None)
        history = known.extended(claim.history) if known else history_bytes(claim.history)
        sig = self._atomic_write(path, claim_bytes(claim, history))
        with self._cache_lock:
            self._histories[claim.id] = history
            while len(self._histories) > CACHED_CLAIMS:
                self._histories.popitem(last=False)
        # The index learns of the save at once; what it holds comes from the claim written,
        # so no file but this one is read or stat-ed.
        with self._cache_lock:
            if self._entries or self._folder is not None:
                self._index(path.name, Entry(sig, Summary.of(claim), NO_PROBLEMS))
            self._remember(path.name, sig, claim)
