"""The store's in-memory index: a summary per claim file kept current with the folder (by
the change log, a listing, or a full check), the counts made from it, a bounded cache of
parsed claims, and the thread that follows the folder for a server (see `Store`)."""

from __future__ import annotations

import gc
import logging
import math
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, KeysView
from contextlib import contextmanager
from typing import TypeVar, cast

from ...errors import NotFound
from ..files import folder_state
from ..models import Claim
from .base import StoreState
from .claimfile import NO_PROBLEMS, StoreProblem, parse_claim_file
from .persisted import SAVE_EVERY, IndexFile
from .statcheck import Checking, Since
from .summary import Counts, Entry, Summary, signature

FULL_CHECK_SECONDS = 60.0
"""How often a read stats every claim file, to notice edits made in place (same inode)."""


RACY_NS = 1_000_000_000
"""A folder changed this recently may change again within the same timestamp: look again."""


CACHED_CLAIMS = 256
"""How many fully parsed claims are kept (least recently used go first)."""

CACHED_DOCUMENTS = 64
"""Of how many documents the list of summaries is kept (see `summaries`; the oldest made
goes first)."""


T = TypeVar("T")

FOLLOW_BATCH = 32
"""How many logged changes the following thread applies at a time (see `Store.follow`)."""

SAVE_PACE = 0.002
"""Seconds the following thread waits between two statements of its write of the kept index
(see `IndexFile.save`), so that the requests under way meanwhile are not all held up at
once (docs/performance.md, "The kept index's writes and the slowest saves")."""


class Index(StoreState):
    """Reading through the index (part of `Store`)."""

    def refresh(
        self, full: bool = False, parsed: dict[str, Claim] | None = None, limit: int | None = None
    ) -> None:
        """Bring the index up to date with the folder (see the class for the rule).

        `parsed`, when given, receives the claims read meanwhile, by file name. `limit`: apply
        at most that many logged changes (see `_catch_up`).

        :raise NotFound: the store folder does not exist.
        """
        with self._cache_lock:
            # The folder is stat-ed under the index's lock: stat-ed before it, while another
            # thread brought the index further, its mtime would be older than the index's,
            # which no logged change ends at: the folder was listed, and the index set back
            # to that older mtime, so the next look listed it again (under a stream of saves,
            # most requests listed 100,000 files).
            folder = folder_state(self.root, "store")
            taken: dict[str, int | None] | None = None
            if self._folder is None and self._kept is not None and not self._entries:
                took = self._take_kept()
                if took is not None:
                    taken, since = took
            # A store that a background thread follows (`follow`) has its files checked by
            # that thread, a few at a time: no request waits for a full pass.
            due = not self._following and time.monotonic() - self._last_full > FULL_CHECK_SECONDS
            if not (full or due) and folder == self._folder and self._folder_settled:
                return
            # A listing made while the folder was changing (not settled) is made again once
            # the folder is old enough to be trusted; until then the change log carries the
            # index on. (Listing again on every look instead, while saves kept the folder
            # from settling, listed 100,000 files for every request under the index's lock.)
            relist = not self._folder_settled and folder[0] < time.time_ns() - RACY_NS
            if not (full or due or relist) and self._catch_up(folder, limit):
                return
            full = full or due
            seen: set[str] = set()
            if taken is not None and not full:
                # The listing and the stats `_take_kept` just made: those files it could not
                # take from the kept index are read, not listed and stat-ed again. The index
                # stands where the folder stood when that check began (maybe before this
                # process imported the app: `statcheck.begin`): what was logged since is
                # applied by the next look, as any save is.
                folder, sampled, self._log = since
                seen.update(taken)
                with bulk(lasting=True):
                    for name, sig in taken.items():
                        if name in self._entries:
                            continue
                        if sig is None:  # gone since it was listed
                            seen.discard(name)
                            continue
                        path = os.path.join(self.root, name)
                        self._index(name, self._read_entry(path, sig, parsed))
            else:
                sampled = time.time_ns()
                self._log = self._log_position()
                self._list(full, seen, parsed)
            for gone in set(self._entries) - seen:
                self._index(gone, None)
            self._folder = folder
            # A change within the file system's timestamp granularity of this listing could
            # leave the folder's mtime as it is: only an older mtime proves nothing changed.
            self._folder_settled = folder[0] < sampled - RACY_NS
            if full:
                self._last_full = time.monotonic()

    def _list(self, full: bool, seen: set[str], parsed: dict[str, Claim] | None) -> None:
        """List the folder (under the lock) and index every file new or changed, its name
        into `seen`; `full`: stat each, not only those whose inode is new."""
        with bulk(lasting=self._kept is not None), os.scandir(self.root) as it:
            for entry in it:
                name = entry.name
                if name.startswith(".") or not name.endswith(".json"):
                    continue
                seen.add(name)
                cached = self._entries.get(name)
                if not full and cached is not None and cached.signature >> 64 == entry.inode():
                    continue
                try:
                    sig = signature(entry.stat())
                except FileNotFoundError:
                    seen.discard(name)
                    continue
                if cached is None or cached.signature != sig:
                    self._index(name, self._read_entry(entry.path, sig, parsed))

    def keep_index(self) -> None:
        """Keep the index between runs, in the store's `.annotate-tmp/` (see `persisted`),
        as a server does: its first look at the folder takes what is kept there for every
        file whose signature it holds (and reads the others), and `follow`'s thread writes
        what changed since. Call before the first read."""
        with self._cache_lock:
            if self._kept is None:
                self._kept = IndexFile(self.root)
                self._unsaved.update(self._entries)  # built already: keep all of it

    def save_kept(self, before: Callable[[int], object] | None = None, pace: float = 0.0) -> int:
        """Write what was indexed anew since the last call to the kept index (see
        `keep_index`; `follow`'s thread calls it every `SAVE_EVERY` seconds, and a server
        once more as it stops); how many files' rows it wrote or dropped. A write under way
        in another thread is waited for. `before` is told how many there are, before they
        are written; `pace`: see `IndexFile.save`."""
        with self._saving:
            with self._cache_lock:
                if self._kept is None or not self._unsaved:
                    return 0
                changed, self._unsaved = self._unsaved, {}
                kept = self._kept
            if before is not None:
                before(len(changed))
            # When it cannot be written, the next start reads those files.
            return len(changed) if kept.save(changed, pace) else 0

    def _take_kept(self) -> tuple[dict[str, int | None], Since] | None:
        """The first look at the folder with a kept index (under the lock): one listing and
        a stat of every file (`statcheck`: in a process of its own for a big store, made
        while this one decodes the rows); each whose signature the database holds is
        indexed from it, the rows of files gone are dropped. The others are left to
        `refresh`, which reads them (the files just stat-ed count as its full check).
        Returns the signature of each file listed (None: gone before its stat) and where the
        folder stood when the check began, or None when the check could not be made (nothing
        is taken: `refresh` lists the folder)."""
        assert self._kept is not None
        checking = Checking(str(self.root))
        # Indexed here directly rather than by `_index` (the index is empty: no entry is
        # replaced, no count carried over): a third of the time it took.
        entries, by_doc = self._entries, self._by_doc
        unread: dict[str, int] = {}
        with bulk(lasting=True):
            for name, sig, summary in self._kept.summaries():
                if summary is None:
                    unread[name] = sig  # a row this version cannot read: the file is read
                    continue
                try:
                    marked_in = summary.appearances.docs
                except IndexError:  # a mark in a document the database never numbered
                    unread[name] = sig
                    continue
                entries[name] = Entry(sig, summary, NO_PROBLEMS)
                for doc in marked_in:
                    by_doc.setdefault(doc, []).append(name)
            try:
                found = checking.found()
            except (OSError, sqlite3.Error) as exc:
                # The database cannot be read (or the folder listed): nothing is taken, the
                # folder is listed as without a kept index (which says what is wrong).
                logging.getLogger(__name__).warning(
                    "the kept index %s was not checked (%s): reading the files",
                    self._kept.path,
                    exc,
                )
                entries.clear()
                by_doc.clear()
                return None
            # The rows of files changed since, or gone, are taken out again (made meanwhile,
            # the by-document map waited for nothing: the check took longer). Each document's
            # list is filtered once: a checkout of another branch may take out most of them.
            gone = entries.keys() - found.listed
            out = gone | (found.stale.keys() & entries.keys())
            docs: set[str] = set()
            for name in out:
                e = entries.pop(name)
                if e.summary is not None:
                    docs.update(e.summary.appearances.docs)
            for doc in docs:
                names = [n for n in by_doc[doc] if n not in out]
                if names:
                    by_doc[doc] = names
                else:
                    del by_doc[doc]
        self._unsaved.update(dict.fromkeys(gone))
        # The files to read, with the signature the check saw (or their unreadable row's,
        # which the check found current), to read them by, as a listing gives it.
        taken: dict[str, int | None] = {n: e.signature for n, e in entries.items()}
        for name in found.listed - taken.keys():
            now = found.stale.get(name, unread.get(name))
            if now is None:  # a row the check saw current and this read did not find
                try:
                    now = signature(os.stat(os.path.join(self.root, name)))
                except FileNotFoundError:
                    pass
            taken[name] = now
        if entries:
            self._generation += 1
            if self._dirty is not None:
                self._dirty.update(entries)
        logging.getLogger(__name__).info(
            "index of %s: %d of %d files from %s",
            self.root,
            len(entries),
            len(found.listed),
            self._kept.path,
        )
        self._last_full = time.monotonic()
        return taken, found.since

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
                if self._kept is not None and time.monotonic() - self._saved_at > SAVE_EVERY:
                    self._saved_at = time.monotonic()
                    self.save_kept(pace=SAVE_PACE)
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
                if signature(os.stat(self.root / name)) != sig:
                    changed.append(name)
            except FileNotFoundError:
                pass  # a removal moves the folder's mtime: `refresh` takes care of it
        if changed:
            with self._cache_lock:
                for name in changed:
                    path = self.root / name
                    try:
                        sig = signature(os.stat(path))
                    except FileNotFoundError:
                        continue
                    cached = self._entries.get(name)
                    if cached is None or cached.signature != sig:
                        self._index(name, self._read_entry(str(path), sig, None))
        if done:
            self._last_full = time.monotonic()

    def _index(self, name: str, entry: Entry | None) -> None:
        """Put (or with None, drop) the entry of one file, keeping the by-document map (and,
        for a save, the valid claims and the counts: see `_carry_over`), and noting it for
        the kept index (see `keep_index`)."""
        self._generation += 1
        if self._kept is not None:
            self._unsaved[name] = entry
        if self._dirty is not None:
            self._dirty.add(name)
        old = self._entries.pop(name, None)
        self._carry_over(name, old, entry)
        if old is not None and old.summary is not None:
            for doc in old.summary.appearances.docs:
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
            for doc in entry.summary.appearances.docs:
                self._by_doc.setdefault(doc, []).append(name)

    def _carry_over(self, name: str, old: Entry | None, new: Entry | None) -> None:
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
        docs_a, docs_b = a.appearances.docs, b.appearances.docs
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

    def _valid_now(self) -> tuple[int, dict[str, Summary], KeysView[str], list[StoreProblem]]:
        """The valid claims' summaries by file name, their names and the problems (cached
        until the index changes; call under the lock)."""
        if self._valid_cache is None or self._valid_cache[0] != self._generation:
            names, problems = self._valid(sorted(self._entries))
            every = {n: s for n in names if (s := self._entries[n].summary) is not None}
            # Their names as the dict's own keys, not a set of its own (4 MB at 100,000).
            self._valid_cache = (self._generation, every, every.keys(), problems)
        return self._valid_cache

    def derived(self, name: str, make: Callable[[list[Summary]], T]) -> T:
        """`make(every valid claim's summary)`, kept until the index changes (the questions,
        who links to whom: worked out once per change, not once per request). What `make`
        gives is shared by every caller: never change it."""
        self.refresh()
        with self._cache_lock:
            hit = self._derived.get(name)
            if hit is not None and hit[0] == self._generation:
                return cast(T, hit[1])
            generation = self._generation
            every = list(self._valid_now()[1].values())
        value = make(every)  # outside the lock: saves go on meanwhile
        with self._cache_lock:
            self._derived[name] = (generation, value)
        return value

    def summaries_named(self, names: list[str]) -> list[Summary]:
        """The summaries of the valid claims among the files `names`, in that order."""
        self.refresh()
        with self._cache_lock:
            every = self._valid_now()[1]
            return [s for n in names if (s := every.get(n)) is not None]

    def summaries(self, doc: str | None = None) -> tuple[list[Summary], list[StoreProblem]]:
        """The index: a summary of every valid claim (of one document, given `doc`), by id,
        and the problems of the files that are not valid. Cheap: see the class."""
        self.refresh()
        with self._cache_lock:
            _, every, valid, problems = self._valid_now()
            if doc is None:
                return list(every.values()), list(problems)
            # Kept until the index changes: the busiest document's page asked for its 500
            # summaries on every view (a fifth of that page's time in the server under load).
            hit = self._doc_summaries.get(doc)
            if hit is not None and hit[0] == self._generation:
                found = hit[1]
            else:
                names = sorted(n for n in self._by_doc.get(doc, ()) if n in valid)
                found = [s for s in (self._entries[n].summary for n in names) if s is not None]
                self._doc_summaries.pop(doc, None)
                self._doc_summaries[doc] = (self._generation, found)
                while len(self._doc_summaries) > CACHED_DOCUMENTS:
                    del self._doc_summaries[next(iter(self._doc_summaries))]
        return list(found), list(problems)

    def counts(self) -> Counts:
        """Claims per verdict, overall and per document, from the index (cached, and carried
        over by saves: see `_carry_over`)."""
        self.refresh()
        # Counted under the lock: counted outside, a save made meanwhile would leave the
        # counts one generation behind, never carried over, and recounted on every page.
        with self._cache_lock:
            if self._counts is not None and self._counts[0] == self._generation:
                return self._counts[1]
            _, every, _, problems = self._valid_now()
            # Counted by document from the by-document map, a verdict per file looked up
            # once: a third of the time of counting each summary's documents.
            status = {n: s.verdict or "unreviewed" for n, s in every.items()}
            total = Counter(status.values())
            per_doc: dict[str, Counter[str]] = {}
            for doc, names in self._by_doc.items():
                mine = Counter([status[n] for n in names if n in status])
                if mine:
                    per_doc[doc] = mine
            claimants = Counter([s.claimant for s in every.values()])
            problems = list(problems)
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
        with bulk():
            self._collect(wanted, parsed, claims, problems)
        return claims, problems

    def valid_files(self) -> list[tuple[str, int]]:
        """The file name and signature of every valid claim, sorted by claim id, after a full
        check of the folder (what `Store.each_claim` reads, one file at a time)."""
        self.refresh(full=True)
        with self._cache_lock:
            valid, _ = self._valid(sorted(self._entries))
            by_id = sorted(
                (summary.id, n, e.signature)
                for n in valid
                if (summary := (e := self._entries[n]).summary) is not None
            )
        return [(n, sig) for _, n, sig in by_id]

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
                claim, more = parse_claim_file(self.root / name)
                if claim is None:  # changed since it was indexed, and now broken
                    problems.extend(more)
                    continue
            claims[claim.id] = claim

    def take_changed(self) -> tuple[dict[str, int], bool]:
        """For the search index (see `search.SearchIndex`): the signature of each valid claim
        file indexed anew since the last call (0: gone or broken), and whether this is the
        first call, whose answer is every file (the search index then drops what is not in
        it). Brings the index up to date first."""
        self.refresh()
        with self._cache_lock:
            first = self._dirty is None
            names = list(self._entries) if first else self._dirty
            self._dirty = set()
            changed = {}
            for name in names or ():
                e = self._entries.get(name)
                changed[name] = e.signature if e is not None and e.summary is not None else 0
            return changed, first

    def forget_changed(self) -> None:
        """Stop noting changes for the search index (its next `take_changed` is a first)."""
        with self._cache_lock:
            self._dirty = None

    def read_named(self, name: str) -> tuple[int, Claim] | None:
        """A claim file's signature and claim as it is now (None: gone or broken), from the
        cache when it holds that version."""
        path = self.root / name
        try:
            sig = signature(os.stat(path))
        except (FileNotFoundError, NotADirectoryError):
            return None
        claim = self._cached(name, sig)
        if claim is None:
            claim, _ = parse_claim_file(path)
            if claim is None:
                return None
        return sig, claim

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

    def _read_entry(self, path: str, sig: int, parsed: dict[str, Claim] | None) -> Entry:
        claim, problems = parse_claim_file(path)
        if claim is not None and parsed is not None:
            parsed[os.path.basename(path)] = claim
        return Entry(sig, Summary.of(claim) if claim is not None else None, problems)


@contextmanager
def bulk(lasting: bool = False) -> Iterator[None]:
    """No cyclic garbage collection while many objects that live on are made: each pass of
    it walks every object already made, so reading 100,000 claims took quadratic time.

    `lasting`: what was made lives as long as the process (a server's index): it is then
    moved out of the collector's reach (`gc.freeze`), or the first passes after would walk
    all of it (1.2 s at 100,000 claims). Freed objects are still freed: only cycles among
    them would stay, and the index makes none."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if lasting:
            gc.freeze()
        if enabled:
            gc.enable()
