"""The claim store: one pretty, key-sorted JSON file per claim. All disk access to it is here.

Writes are atomic (temp file, fsync, rename, directory fsync) and compare-and-set on the claim's
`version` under a lock that holds across threads and across server processes on one machine:
a write names the version it read, and a stale one is refused, never merged.
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import math
import os
import secrets
import stat
import sys
import threading
import time
import weakref
import zlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from ..errors import AlreadyExists, BrokenRecord, NotFound, StaleVersion, detail
from . import clock
from .files import read_bytes
from .models import Claim, error_details

LOCK_STRIPES = 64
TRASH = ".trash"


@dataclass(frozen=True)
class StoreProblem:
    """A claim file that cannot be used as it is: unparseable, invalid, misnamed, duplicated."""

    path: Path
    claim: str | None
    field: str
    message: str
    kind: str


@dataclass(frozen=True, slots=True)
class Mark:
    """What the index keeps of one appearance: enough to mark it in its document.

    Not the quote itself (it is the document's text at the offsets, which the corpus holds):
    its hash, to tell whether the text there is still the quote.
    """

    doc: str
    start: int
    end: int
    digest: int
    orphaned: bool

    def matches(self, text: str) -> bool:
        """Whether `text` still has the quote at the offsets."""
        return self.end <= len(text) and hash(text[self.start : self.end]) == self.digest


def _compact(text: str) -> str | bytes:
    """A text as held in the index: a `str` when it is Latin-1 (one byte a character),
    else UTF-8 bytes (a `str` would take two or four bytes for every character)."""
    return text if text.isascii() or max(text) <= "\xff" else text.encode("utf-8")


def _expand(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode("utf-8")


@dataclass(frozen=True, slots=True)
class Summary:
    """What the index keeps of a claim: enough for lists, counts, filters and marked text.

    It has the attributes of `Claim` that pages and filters read, so either can be listed.
    """

    id: str
    version: int
    _statement: str | bytes
    claimant: str
    claim_date: date | None
    verdict: str | None
    _rationale: str | bytes | None
    updated_at: datetime
    appearances: tuple[Mark, ...]

    @property
    def status(self) -> str:
        """The verdict, or `unreviewed`."""
        return self.verdict or "unreviewed"

    @property
    def statement(self) -> str:
        """The reviewer's wording of the claim."""
        return _expand(self._statement)

    @property
    def rationale(self) -> str | None:
        """The rationale of the verdict, if any."""
        return None if self._rationale is None else _expand(self._rationale)

    @classmethod
    def of(cls, claim: Claim) -> Summary:
        """The summary of a parsed claim."""
        return cls(
            claim.id,
            claim.version,
            _compact(claim.statement),
            sys.intern(claim.claimant),
            claim.claim_date,
            sys.intern(claim.verdict) if claim.verdict else None,
            None if claim.rationale is None else _compact(claim.rationale),
            claim.updated_at,
            tuple(
                Mark(sys.intern(a.doc), a.start, a.end, hash(a.exact), a.orphaned)
                for a in claim.appearances
            ),
        )


@dataclass(frozen=True)
class Counts:
    """Claims per status overall and per document, and the problems of broken files.

    `per_doc` is kept current in place by saves: look documents up in it, do not iterate it
    while the app serves."""

    total: Counter[str]
    per_doc: dict[str, Counter[str]]
    problems: list[StoreProblem]
    claimants: list[str]


@dataclass(slots=True)
class _Entry:
    signature: int
    summary: Summary | None
    problems: list[StoreProblem]


NO_PROBLEMS: list[StoreProblem] = []
"""Shared by every valid entry (never appended to): one list less per claim in memory."""


FULL_CHECK_SECONDS = 60.0
"""How often a read stats every claim file, to notice edits made in place (same inode)."""
RACY_NS = 1_000_000_000
"""A folder changed this recently may change again within the same timestamp: look again."""
CACHED_CLAIMS = 256
"""How many fully parsed claims are kept (least recently used go first)."""
CHANGES_LOG_LIMIT = 4 * 1024 * 1024
"""The change log (see `Store`) starts afresh past this size; a reader that had not caught up
then lists the folder once."""
FOLLOW_BATCH = 32
"""How many logged changes the following thread applies at a time (see `Store.follow`)."""
TEMP = ".annotate-tmp"
"""Where a write prepares its file before the rename: a folder of its own, so that only the
rename itself changes the store folder (and is logged)."""


_stores: weakref.WeakSet[Store] = weakref.WeakSet()
"""Every store of this process, for `_after_fork`."""


def _after_fork() -> None:
    for store in list(_stores):
        store._forked()


os.register_at_fork(after_in_child=_after_fork)


def dumps(claim: Claim) -> str:
    """A claim as it is stored: pretty, keys sorted, trailing newline (git diffs read well)."""
    return to_json(claim.model_dump(mode="json", exclude_none=True))


def _signature(st: os.stat_result) -> int:
    """A file's identity and state in one int: its inode above, a hash of mtime and size below
    (one small object per file in the index, instead of a tuple of three)."""
    return (st.st_ino << 64) | (hash((st.st_mtime_ns, st.st_size)) & 0xFFFF_FFFF_FFFF_FFFF)


@dataclass(eq=False)  # one store is one folder's live state: compared by identity
class Store:
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
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _by_doc: dict[str, list[str]] = field(default_factory=dict)
    _folder: tuple[int, int] | None = None
    _folder_settled: bool = False
    _last_full: float = 0.0
    _following: bool = False
    _behind: bool = False
    _roll: list[str] = field(default_factory=list)
    _roll_size: int = 0
    _full: OrderedDict[str, tuple[int, Claim]] = field(default_factory=OrderedDict)
    _cache_lock: threading.RLock = field(default_factory=threading.RLock)
    _stripes: list[threading.Lock] = field(
        default_factory=lambda: [threading.Lock() for _ in range(LOCK_STRIPES)]
    )
    _lock_fds: dict[int, int] = field(default_factory=dict)
    _generation: int = 0
    _counts: tuple[int, Counts] | None = None
    _valid_cache: tuple[int, dict[str, Summary], set[str], list[StoreProblem]] | None = None
    _claimants: Counter[str] = field(default_factory=Counter)
    _log: tuple[int, int] | None = None
    _folder_lock: threading.Lock = field(default_factory=threading.Lock)
    _folder_fd: int | None = None
    _logged: int = 0

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        _stores.add(self)

    # -- reading -------------------------------------------------------------------------

    def path_for(self, claim_id: str) -> Path:
        """The file that holds a claim."""
        return self.root / f"{claim_id}.json"

    def refresh(
        self, full: bool = False, parsed: dict[str, Claim] | None = None, limit: int | None = None
    ) -> None:
        """Bring the index up to date with the folder (see the class for the rule).

        `parsed`, when given, receives the claims read meanwhile, by file name. `limit`: apply
        at most that many logged changes (see `_catch_up`).

        :raise NotFound: the store folder does not exist.
        """
        try:
            st = os.stat(self.root)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"store folder {self.root} does not exist") from None
        if not stat.S_ISDIR(st.st_mode):
            raise NotFound(f"store folder {self.root} does not exist")
        folder = (st.st_mtime_ns, st.st_ino)
        with self._cache_lock:
            # A store that a background thread follows (`follow`) has its files checked by
            # that thread, a few at a time: no request waits for a full pass.
            due = not self._following and time.monotonic() - self._last_full > FULL_CHECK_SECONDS
            if not (full or due) and folder == self._folder and self._folder_settled:
                return
            if not (full or due) and self._folder_settled and self._catch_up(folder, limit):
                return
            full = full or due
            sampled = time.time_ns()
            self._log = self._log_position()
            seen: set[str] = set()
            with _bulk(), os.scandir(self.root) as it:
                for entry in it:
                    name = entry.name
                    if name.startswith(".") or not name.endswith(".json"):
                        continue
                    seen.add(name)
                    cached = self._entries.get(name)
                    if not full and cached is not None and cached.signature >> 64 == entry.inode():
                        continue
                    try:
                        sig = _signature(entry.stat())
                    except FileNotFoundError:
                        seen.discard(name)
                        continue
                    if cached is None or cached.signature != sig:
                        self._index(name, self._read_entry(entry.path, sig, parsed))
            for gone in set(self._entries) - seen:
                self._index(gone, None)
            self._folder = folder
            # A change within the file system's timestamp granularity of this listing could
            # leave the folder's mtime as it is: only an older mtime proves nothing changed.
            self._folder_settled = folder[0] < sampled - RACY_NS
            if full:
                self._last_full = time.monotonic()

    def follow(self, every: float = 0.5) -> threading.Thread:
        """Keep the index current from a background thread, as a server does: every `every`
        seconds it applies what other processes saved meanwhile (a few at a time, instead
        of the next request applying all of them at once), and stats its share of the files
        so that each is looked at once per `FULL_CHECK_SECONDS` (an edit in place is noticed
        within that time, and no request stats every file)."""
        self._following = True
        thread = threading.Thread(
            target=self._follow, args=(every,), name="annotate-index", daemon=True
        )
        thread.start()
        return thread

    def _follow(self, every: float) -> None:
        while True:
            time.sleep(every)
            try:
                self._behind = True
                while self._behind:  # the lock is let go between batches
                    self._behind = False
                    self.refresh(limit=FOLLOW_BATCH)
                self._check_some(every / FULL_CHECK_SECONDS)
            except NotFound:
                pass  # the folder is gone: every request says so
            except Exception:  # noqa: BLE001 - a background thread must go on; say what broke
                logging.getLogger(__name__).exception("following the store %s", self.root)

    def _check_some(self, share: float) -> None:
        """Stat the next `share` of the indexed files (a round of all of them, then the next
        round) and re-read those changed in place. The stats are made outside the index's
        lock, so requests do not wait for them."""
        with self._cache_lock:
            if not self._roll:
                self._roll = list(self._entries)
                self._roll_size = len(self._roll)
            take = max(1, math.ceil(self._roll_size * share))
            batch = self._roll[-take:]
            del self._roll[-take:]
            known = {n: e.signature for n in batch if (e := self._entries.get(n)) is not None}
            done = not self._roll
        changed = []
        for name, sig in known.items():
            try:
                if _signature(os.stat(self.root / name)) != sig:
                    changed.append(name)
            except FileNotFoundError:
                pass  # a removal moves the folder's mtime: `refresh` takes care of it
        if changed:
            with self._cache_lock:
                for name in changed:
                    path = self.root / name
                    try:
                        sig = _signature(os.stat(path))
                    except FileNotFoundError:
                        continue
                    cached = self._entries.get(name)
                    if cached is None or cached.signature != sig:
                        self._index(name, self._read_entry(str(path), sig, None))
        if done:
            self._last_full = time.monotonic()

    def _changes_path(self) -> Path:
        return self._lock_dir() / "changes.log"

    def _log_position(self) -> tuple[int, int]:
        """The change log's inode and size now (where a reader that listed the folder goes on)."""
        try:
            st = os.stat(self._changes_path())
        except FileNotFoundError:
            return (0, 0)
        return (st.st_ino, st.st_size)

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
        for attempt in (1, 2):
            read = self._read_log()
            if read is None:
                return False
            log_ino, offset, data = read
            chain = self._chain(data, self._folder[0])
            if chain is None:
                return False
            if folder[0] in (after for _, after, _ in chain) or attempt == 2:
                break
            # A rename shows in the folder just before its line is in the log (its writer
            # adds the line at once, under the folder lock): wait for writers, read again.
            self._wait_for_writers()
        assert chain is not None
        # Where to stop: at the folder's mtime as stat-ed (saves logged since then are for the
        # next look), or after `limit` lines. Never between two lines that end at the same
        # mtime (renames within one timestamp tick): the folder would look unchanged and the
        # rest would wait for the next change.
        end = len(chain)
        if (chain[-1][1] if chain else self._folder[0]) != folder[0]:
            ends = [i for i, (_, after, _) in enumerate(chain) if after == folder[0]]
            if not ends:
                return False
            end = ends[-1] + 1
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
                sig = _signature(os.stat(path))
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

    def _wait_for_writers(self) -> None:
        """Until no process is between a rename into the store and its line in the change
        log (they hold the folder lock for both)."""
        try:
            fd = os.open(self._lock_dir() / "folder.lock", os.O_RDONLY)
        except OSError:
            return  # no writer ever locked this store, or it cannot be opened: no wait
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        finally:
            os.close(fd)

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
                log = self._open_lock_file("changes.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                try:
                    os.write(log, f"{before} {after} {name}\n".encode())
                    self._logged += 1
                    if self._logged % 64 == 0 and os.fstat(log).st_size > CHANGES_LOG_LIMIT:
                        os.unlink(self._changes_path())
                finally:
                    os.close(log)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _index(self, name: str, entry: _Entry | None) -> None:
        """Put (or with None, drop) the entry of one file, keeping the by-document map (and,
        for a save, the valid claims and the counts: see `_carry_over`)."""
        self._generation += 1
        old = self._entries.pop(name, None)
        self._carry_over(name, old, entry)
        if old is not None and old.summary is not None:
            for doc in {m.doc for m in old.summary.appearances}:
                names = self._by_doc.get(doc)
                if names is not None and name in names:
                    names.remove(name)
                    if not names:
                        del self._by_doc[doc]
        if entry is None:
            self._full.pop(name, None)
            return
        self._entries[name] = entry
        if entry.summary is not None:
            # Lists, not sets: a few names per document, and a set's table would double the
            # memory this map takes.
            for doc in {m.doc for m in entry.summary.appearances}:
                self._by_doc.setdefault(doc, []).append(name)

    def _carry_over(self, name: str, old: _Entry | None, new: _Entry | None) -> None:
        """When one valid claim file is replaced by a valid version of the same claim (a
        save), bring the cached valid claims and counts of the previous generation to this
        one by that change, instead of recomputing them from every summary on the next read
        (every page after a save waited 0.64 s for it at 100,000 claims). Anything else (a
        new, removed, broken or renamed claim) leaves them to be recomputed."""
        if old is None or new is None or old.problems or new.problems:
            return
        a, b = old.summary, new.summary
        if a is None or b is None or a.id != b.id:
            return
        before = self._generation - 1
        cached = self._valid_cache
        if cached is None or cached[0] != before or name not in cached[2]:
            return
        cached[1][name] = b  # only read under the lock, and copied out
        self._valid_cache = (self._generation, *cached[1:])
        if self._counts is None or self._counts[0] != before:
            return
        counts = self._counts[1]
        total = Counter(counts.total)
        total[a.status] -= 1
        total[b.status] += 1
        # Changed in place (a copy of 10,000 documents' counts per save costs more than the
        # save's own JSON): readers only look documents up in it, and each value is replaced,
        # never changed, so a reader sees a document's counts before or after, never half.
        per_doc = counts.per_doc
        docs_a, docs_b = {m.doc for m in a.appearances}, {m.doc for m in b.appearances}
        for doc in docs_a | docs_b:
            mine = Counter(per_doc.get(doc, ()))
            mine[a.status] -= doc in docs_a
            mine[b.status] += doc in docs_b
            if +mine:
                per_doc[doc] = +mine
            else:
                per_doc.pop(doc, None)
        claimants = counts.claimants
        self._claimants[a.claimant] -= 1
        self._claimants[b.claimant] += 1
        if a.claimant != b.claimant:
            claimants = sorted(k for k, n in self._claimants.items() if n > 0)
        self._counts = (
            self._generation,
            Counts(+total, per_doc, counts.problems, claimants),
        )

    def _valid(self, names: list[str]) -> tuple[list[str], list[StoreProblem]]:
        """Of `names` (sorted), those whose claim is served, and every problem among them.

        A file that is broken or whose id another file (earlier by name) has already is a
        problem; the others are served.
        """
        problems: list[StoreProblem] = []
        valid: list[str] = []
        first_file: dict[str, str] = {}
        for name in names:
            e = self._entries[name]
            problems.extend(e.problems)
            if e.summary is None:
                continue
            cid = e.summary.id
            if cid in first_file:
                problems.append(
                    StoreProblem(
                        self.root / name,
                        cid,
                        "id",
                        f"duplicated id: '{cid}' is also the id in {first_file[cid]}",
                        "duplicate",
                    )
                )
                continue
            first_file[cid] = name
            valid.append(name)
        return valid, problems

    def summaries(self, doc: str | None = None) -> tuple[list[Summary], list[StoreProblem]]:
        """The index: a summary of every valid claim (of one document, given `doc`), by id,
        and the problems of the files that are not valid. Cheap: see the class."""
        self.refresh()
        with self._cache_lock:
            if self._valid_cache is None or self._valid_cache[0] != self._generation:
                names, problems = self._valid(sorted(self._entries))
                every = {n: s for n in names if (s := self._entries[n].summary) is not None}
                self._valid_cache = (self._generation, every, set(names), problems)
            _, every, valid, problems = self._valid_cache
            if doc is None:
                return list(every.values()), list(problems)
            names = sorted(n for n in self._by_doc.get(doc, ()) if n in valid)
            found = [s for s in (self._entries[n].summary for n in names) if s is not None]
        return found, list(problems)

    def counts(self) -> Counts:
        """Claims per verdict, overall and per document, from the index (cached, and carried
        over by saves: see `_carry_over`)."""
        self.refresh()
        # Counted under the lock: counted outside, a save made meanwhile would leave the
        # counts one generation behind, never carried over, and recounted on every page.
        with self._cache_lock:
            if self._counts is not None and self._counts[0] == self._generation:
                return self._counts[1]
            found, problems = self.summaries()
            total: Counter[str] = Counter()
            per_doc: dict[str, Counter[str]] = {}
            for s in found:
                total[s.status] += 1
                for doc in {m.doc for m in s.appearances}:
                    per_doc.setdefault(doc, Counter())[s.status] += 1
            claimants = Counter(s.claimant for s in found)
            counts = Counts(total, per_doc, problems, sorted(claimants))
            self._counts = (self._generation, counts)
            self._claimants = claimants
            return counts

    def scan(self) -> tuple[dict[str, Claim], list[StoreProblem]]:
        """Every valid claim by id, and the problems of the files that are not.

        Every file is stat-ed; files are re-read only when their size, mtime or inode changed
        since they were last read. A broken file never hides the others.
        """
        parsed: dict[str, Claim] = {}  # what the refresh reads is not read twice
        self.refresh(full=True, parsed=parsed)
        with self._cache_lock:
            valid, problems = self._valid(sorted(self._entries))
            wanted = [(n, self._entries[n].signature) for n in valid]
        claims: dict[str, Claim] = {}
        with _bulk():
            self._collect(wanted, parsed, claims, problems)
        return claims, problems

    def _collect(
        self,
        wanted: list[tuple[str, int]],
        parsed: dict[str, Claim],
        claims: dict[str, Claim],
        problems: list[StoreProblem],
    ) -> None:
        for name, sig in wanted:
            claim = parsed.pop(name, None) or self._cached(name, sig)
            if claim is None:
                claim, more = self._parse(self.root / name)
                if claim is None:  # changed since it was indexed, and now broken
                    problems.extend(more)
                    continue
            claims[claim.id] = claim

    def _cached(self, name: str, sig: int) -> Claim | None:
        with self._cache_lock:
            hit = self._full.get(name)
            if hit is None or hit[0] != sig:
                return None
            self._full.move_to_end(name)
            return hit[1]

    def _remember(self, name: str, sig: int, claim: Claim) -> None:
        with self._cache_lock:
            self._full[name] = (sig, claim)
            self._full.move_to_end(name)
            while len(self._full) > CACHED_CLAIMS:
                self._full.popitem(last=False)

    def _read_entry(self, path: str, sig: int, parsed: dict[str, Claim] | None) -> _Entry:
        claim, problems = self._parse(path)
        if claim is not None and parsed is not None:
            parsed[os.path.basename(path)] = claim
        return _Entry(sig, Summary.of(claim) if claim is not None else None, problems)

    def parse_file(self, path: Path | str) -> tuple[Claim | None, list[StoreProblem]]:
        """Read and validate one claim file, as the index does: the claim, or its problems."""
        return self._parse(path)

    def _parse(self, where: Path | str) -> tuple[Claim | None, list[StoreProblem]]:
        try:
            raw = read_bytes(where)
        except FileNotFoundError:
            raw = None
        if raw is not None:
            try:
                # The fast path: pydantic parses the bytes itself. Only a file that fails it
                # is parsed again step by step, to say what is wrong in the words used below.
                claim = Claim.model_validate_json(raw)
            except ValidationError:
                pass
            else:
                if os.path.basename(where) == f"{claim.id}.json":
                    return claim, NO_PROBLEMS
        path = Path(where)  # (a Path per valid file would be kept interned: only here)
        if raw is None:
            return None, [StoreProblem(path, None, "(file)", "the file vanished", "io")]
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return None, [StoreProblem(path, None, "(file)", f"not UTF-8: {exc}", "json")]
        except json.JSONDecodeError as exc:
            return None, [
                StoreProblem(
                    path,
                    None,
                    "(file)",
                    f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                    "json",
                )
            ]
        claim_id = data.get("id") if isinstance(data, dict) else None
        claim_id = claim_id if isinstance(claim_id, str) else None
        try:
            claim = Claim.model_validate(data)
        except ValidationError as exc:
            return None, [
                StoreProblem(path, claim_id, d["field"], d["message"], "schema")
                for d in error_details(exc)
            ]
        if path.stem != claim.id:
            return None, [
                StoreProblem(
                    path,
                    claim.id,
                    "id",
                    f"the file name must be the claim id: expected {claim.id}.json",
                    "filename",
                )
            ]
        return claim, []

    def claims(self) -> list[Claim]:
        """Every valid claim, sorted by id."""
        found, _ = self.scan()
        return [found[k] for k in sorted(found)]

    def get(self, claim_id: str) -> Claim:
        """One claim, as it is on disk now.

        :raise NotFound: no such claim. :raise BrokenRecord: its file does not validate.
        """
        path = self.path_for(claim_id)
        if not _safe_id(claim_id):
            raise NotFound(f"no claim '{claim_id}'")
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"no claim '{claim_id}'") from None
        if not stat.S_ISREG(st.st_mode):
            raise NotFound(f"no claim '{claim_id}'")
        sig = _signature(st)
        claim = self._cached(path.name, sig)
        if claim is not None:
            return claim
        claim, problems = self._parse(path)
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
        return _safe_id(claim_id) and self.path_for(claim_id).exists()

    # -- writing -------------------------------------------------------------------------

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
        return self.root / TEMP / "locks"

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
                with _suppress():
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
                trash / f"{claim_id}.v{final.version}.{stamp}.json", dumps(final).encode()
            )
            with self._folder_change(f"{claim_id}.json"):
                os.unlink(self.path_for(claim_id))
            self._fsync_dir(self.root)
            with self._cache_lock:
                self._index(f"{claim_id}.json", None)
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
            for path in sorted(folder.glob(".*.tmp")):
                claim_id = path.name[1:].split(".", 1)[0]
                if not _safe_id(claim_id):
                    continue
                with self.locked(claim_id), _suppress():
                    path.unlink()
                    removed.append(path)
        return removed

    def _write(self, claim: Claim) -> None:
        path = self.path_for(claim.id)
        sig = self._atomic_write(path, dumps(claim).encode("utf-8"))
        # The index learns of the save at once; what it holds comes from the claim written,
        # so no file but this one is read or stat-ed.
        with self._cache_lock:
            if self._entries or self._folder is not None:
                self._index(path.name, _Entry(sig, Summary.of(claim), NO_PROBLEMS))
            self._remember(path.name, sig, claim)

    def _atomic_write(self, path: Path, data: bytes) -> int:
        """Write `data` to `path` so that it is either the old file or the new, whole and on
        disk, whatever happens: temp file, fsync, rename, folder fsync. The new file's
        signature (taken from the open temp file: the rename keeps inode, size and mtime)."""
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
                sig = _signature(os.fstat(fd))
            finally:
                os.close(fd)
            if into_store:
                with self._folder_change(path.name):
                    os.replace(tmp, path)
            else:
                os.replace(tmp, path)
        except BaseException:
            with _suppress():
                os.unlink(tmp)
            raise
        if self.fsync:
            self._fsync_dir(path.parent)
        return sig

    @staticmethod
    def _temp_file(folder: Path, name: str) -> tuple[int, str]:
        """A new, empty temp file `.<name>.<random>.tmp` in `folder` (made if missing), open
        for writing; its descriptor and path. (`sweep` knows the name.)"""
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:
            tmp = f"{folder}/.{name}.{secrets.token_hex(4)}.tmp"
            try:
                return os.open(tmp, flags, 0o600), tmp
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


@contextmanager
def _bulk() -> Iterator[None]:
    """No cyclic garbage collection while many objects that live on are made: each pass of
    it walks every object already made, so reading 100,000 claims took quadratic time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _suppress() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass


def _safe_id(claim_id: str) -> bool:
    # Ids are at most 80 characters (models.ClaimId); a longer name would make the OS raise.
    return (
        0 < len(claim_id) <= 120
        and "/" not in claim_id
        and "\\" not in claim_id
        and not claim_id.startswith(".")
        and "\x00" not in claim_id
    )


def to_json(data: Any) -> str:
    """Deterministic pretty JSON (sorted keys, UTF-8 as is, trailing newline).

    The bytes are those of `json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)`
    (tests pin them); orjson makes them in C, where `json` indents in Python: an export of
    100,000 claims spent more time indenting than reading the store.
    """
    try:
        raw = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # What orjson refuses and `json` takes (an integer beyond 64 bits, say from a hand
        # edit): the same bytes, the slow way, rather than a save that fails.
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return raw.decode() + "\n"
