"""Full-text search of the claims and the documents: SQLite FTS5, through the standard
library's `sqlite3`, in one file of the store's ignored scratch folder
(`.annotate-tmp/search.sqlite`).

The file is a cache, never the record: it is brought up to date from the claim files and
the corpus before every search, and deleting it loses nothing (the next search, or
`annotate serve` at start-up, builds it again; `annotate reindex` rebuilds it at will).

How it stays current:

- the store's in-memory index notes every claim file it indexes anew (`Store.take_changed`):
  this process's saves and deletions, and those of other processes that it learns of through
  the store's change log (several `annotate serve --workers`, `annotate import`), or by
  listing the folder after a `git pull`. Before a search, those files are read and their
  rows replaced, each under the database's write lock and only when the signature (inode,
  mtime, size) it holds for the file differs: every process may apply the same change, the
  file ends the same;
- the first time a process looks, it compares the signature of every claim file with the
  database's (a database left by an earlier run is checked, not trusted), and the sha256 of
  every document's text with the database's, again whenever the corpus changed.

Words are folded by the `porter unicode61 remove_diacritics 2` tokenizer: case and accents
("Müller" finds "Muller"), and English word forms by Porter's stemmer ("Iskanders" finds
"Iskander", "used" finds "uses"). A query is words and "quoted phrases", all of which must
be there; nothing a user types is taken as FTS5 syntax (every word is quoted), so an
unbalanced quote or an `AND`, `NEAR`, `*` or `:` is a word like any other, never an error.
When no claim has every word, the claims with any of them are given instead, ranked.

The schema leaves room for the summary index to be kept in the same file (issue 18): claim
files are rows of `claim_files` (name, signature, claim id), to which the summary can be
added as columns, and the text table is keyed by their row id.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

from ..errors import NotFound
from .corpus import Corpus
from .models import Claim
from .store import Store, Summary
from .store.claimfile import TEMP

BATCH = 2000
"""Claim files brought up to date in one write transaction (documents: a tenth of it)."""

SCHEMA = 3
"""Bumped when the tables change: a file of another schema is rebuilt."""

TOKENIZER = "porter unicode61 remove_diacritics 2"

CLAIM_COLUMNS = ("claim_id", "statement", "claimant", "rationale", "quotes", "notes")
CLAIM_WEIGHTS = (1.0, 6.0, 3.0, 1.5, 2.0, 1.0)
"""bm25 weights: a word of the statement counts most, then the claimant, the quotes (`notes`:
the claim's note and tags)."""
_CLAIM_BM25 = ", ".join(map(str, CLAIM_WEIGHTS))
_STATEMENT_BM25 = ", ".join("1" if c == "statement" else "0" for c in CLAIM_COLUMNS)
"""bm25 weights that count the statement's words alone (0: none of the query's there)."""
DOC_WEIGHTS = (5.0, 1.0)
_DOC_BM25 = ", ".join(map(str, DOC_WEIGHTS))

IN_ROWS = 10_000
"""The most claims one statement asks highlights for (a bigger page takes several)."""

IN_CHUNK = 900
"""The most rows one statement looks up by row id (under SQLite's oldest limit of 999
parameters, and the connection's own)."""

START, STOP = "\x02", "\x03"
"""What `highlight` puts around a matched word (the web layer makes them `<mark>`)."""

_TERM = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORDISH = re.compile(r"\w")


def terms(query: str) -> list[str]:
    """The words and phrases of a query as typed: `"quoted text"` is one phrase (an
    unbalanced quote runs to the end), anything else is split at spaces; terms with no
    letter or digit are dropped."""
    found = []
    for m in _TERM.finditer(query):
        text = m.group(1) if m.group(1) is not None else m.group(2)
        text = " ".join(text.split())
        if _WORDISH.search(text):
            found.append(text)
    return found


NEGATIONS = ("not", "no", "none", "never", "nothing", "nobody", "neither", "nor")
"""A query's negation word matches any of these: "Iskander not used" finds "no Iskander
was used" too."""

NEAR = 5
"""Claims whose words are this close together (as typed) rank before the others."""


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _alternatives(term: str) -> list[str]:
    return list(NEGATIONS) if term.casefold() in NEGATIONS else [term]


def fts_query(query: str, every: bool = True) -> str | None:
    """The FTS5 expression for a query as typed: each term a quoted string (so nothing in it
    is FTS5 syntax), a negation word any of `NEGATIONS`, all of them required (`every`) or
    any; None when there is no term."""
    groups = [" OR ".join(map(_quoted, _alternatives(t))) for t in terms(query)]
    if not groups:
        return None
    return (" AND " if every else " OR ").join(f"({g})" for g in groups)


def near_query(query: str, forms: bool = True) -> str | None:
    """The FTS5 expression of the claims that have the terms of a query close together
    (within `NEAR` words), in any of their negation forms (else as typed); None for fewer
    than two terms."""
    found = terms(query)
    if len(found) < 2:
        return None
    options: list[list[str]] = [[]]
    for t in found:
        options = [o + [a] for o in options for a in (_alternatives(t) if forms else [t])][:64]
    return " OR ".join(f"NEAR({' '.join(map(_quoted, o))}, {NEAR})" for o in options)


@dataclass(frozen=True)
class Hit:
    """A document found, its bm25 score (lower is better, as SQLite gives it)."""

    id: str
    score: float


@dataclass(frozen=True)
class ClaimHits:
    """The claims a query found, best first: their rows of the database (`rows`), whose
    claim ids and file names `files` gives (worked out when asked for); `every` as in
    `Found`."""

    rows: list[int]
    files: Mapping[int, tuple[str, str]] = field(default_factory=dict, repr=False)
    every: bool = True

    @functools.cached_property
    def ids(self) -> list[str]:
        """Every claim found, best first."""
        return [f[0] for r in self.rows if (f := self.files.get(r)) is not None]

    @functools.cached_property
    def names(self) -> list[str]:
        """Every claim file found, best first."""
        return [f[1] for r in self.rows if (f := self.files.get(r)) is not None]


@dataclass(frozen=True)
class Found:
    """The documents a query found, best first, and whether each has every term (`every`)
    or, when no document had them all, any of them."""

    hits: list[Hit]
    every: bool = True


class Listed(Sequence[Summary]):
    """The summaries of the claims a query found, best first (`SearchIndex.listing`): how
    many is the query's count, and a slice is a search for that slice alone (`LIMIT`), whose
    claims' summaries alone are fetched from the store (the claims page's 50, the API's
    `limit`), never those of every hit. A claim saved meanwhile can move between slices; one
    gone or broken since it was counted is left out of its slice."""

    def __init__(self, search: SearchIndex, query: str, total: int, every: bool) -> None:
        self.search, self.query, self.total, self.every = search, query, total, every

    def __len__(self) -> int:
        return self.total

    @overload
    def __getitem__(self, at: int) -> Summary: ...

    @overload
    def __getitem__(self, at: slice) -> list[Summary]: ...

    def __getitem__(self, at: int | slice) -> Summary | list[Summary]:
        if isinstance(at, slice):
            start, stop, step = at.indices(len(self))
            if step != 1:
                return self.whole[at]
            if stop <= start:
                return []
            names = self.search.claim_names(self.query, self.every, start, stop)
            return self.search.store.summaries_named(names)
        start = at + len(self) if at < 0 else at
        found = self[start : start + 1] if 0 <= start < len(self) else []
        if not found:
            raise IndexError(at)
        return found[0]

    def __iter__(self) -> Iterator[Summary]:
        return iter(self.whole)

    @functools.cached_property
    def whole(self) -> list[Summary]:
        """Every claim found, best first (what a sort by another column needs)."""
        return self.search.store.summaries_named(self.search.claims(self.query).names)


def _claim_row(name: str, sig: int, claim: Claim) -> tuple[str, ...]:
    return (
        name,
        str(sig),
        claim.id,
        claim.statement,
        claim.claimant,
        claim.rationale or "",
        "\n".join(a.exact for a in claim.appearances),
        "\n".join([claim.note or "", *claim.tags]),
    )


@dataclass(eq=False)
class SearchIndex:
    """The search database of one store and corpus (see the module)."""

    store: Store
    corpus: Corpus
    path: Path | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _db: sqlite3.Connection | None = None
    _pid: int = 0
    _docs_seen: int = -1
    _held: tuple[tuple[int, int], int] = ((-1, -1), 0)
    """How many claim files the database holds, and when it was counted (`_files_held`)."""
    waiting: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext
    """What a search does while it waits for another thread's use of the database (a build
    takes a minute at 100,000 claims): `annotate serve` gives its request slot up meanwhile
    (`web.gate`), so that the other requests go on."""

    def __post_init__(self) -> None:
        if self.path is None:
            self.path = self.store.root / TEMP / "search.sqlite"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The database's lock, waited for (when another thread has it) inside `waiting`."""
        if not self._lock.acquire(blocking=False):
            with self.waiting():
                self._lock.acquire()
        try:
            yield
        finally:
            self._lock.release()

    # -- the database ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """The open database (made when missing, rebuilt when of another schema or
        unreadable); reopened in a forked process."""
        if self._db is not None and self._pid == os.getpid() and self._still_there():
            return self._db
        if self._db is not None and self._pid == os.getpid():
            self._db.close()  # its file was removed (`annotate reindex`): open the new one
        self._db = None
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            try:
                db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                self._create(db)
                break
            except sqlite3.DatabaseError:
                if attempt == 2:
                    raise
                with contextlib.suppress(NameError, sqlite3.Error):
                    db.close()
                self._remove_files()  # unreadable: it is a cache, build it again
        self._db, self._pid = db, os.getpid()
        self._ino = os.stat(self.path).st_ino
        self.store.forget_changed()  # a new file: compare every claim file with it
        self._docs_seen = -1
        self._held = ((-1, -1), 0)
        return db

    def _still_there(self) -> bool:
        assert self.path is not None
        try:
            return os.stat(self.path).st_ino == self._ino
        except FileNotFoundError:
            return False

    def _remove_files(self) -> None:
        assert self.path is not None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is not None and row[0] == str(SCHEMA):
                return
            for table in ("claim_text", "claim_files", "doc_text", "doc_files", "sqlite_sequence"):
                if table == "sqlite_sequence":
                    continue  # SQLite's own
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(
                "CREATE TABLE claim_files (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " name TEXT UNIQUE NOT NULL,"
                " signature TEXT NOT NULL, claim_id TEXT NOT NULL)"
            )
            db.execute(
                f"CREATE VIRTUAL TABLE claim_text USING fts5({', '.join(CLAIM_COLUMNS)},"
                f" tokenize='{TOKENIZER}')"
            )
            db.execute(
                "INSERT INTO claim_text(claim_text, rank) VALUES ('rank', ?)",
                (f"bm25({_CLAIM_BM25})",),
            )
            db.execute(
                "CREATE TABLE doc_files (id INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL,"
                " sha256 TEXT NOT NULL)"
            )
            db.execute(
                f"CREATE VIRTUAL TABLE doc_text USING fts5(title, body, tokenize='{TOKENIZER}')"
            )
            db.execute(
                "INSERT INTO doc_text(doc_text, rank) VALUES ('rank', ?)",
                (f"bm25({_DOC_BM25})",),
            )
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema', ?), ('tokenizer', ?)",
                (str(SCHEMA), TOKENIZER),
            )

    @contextlib.contextmanager
    def _writing(self, db: sqlite3.Connection) -> Iterator[None]:
        """One write transaction, taken at once (other processes' wait for it)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.rollback()
            raise
        db.commit()

    def close(self) -> None:
        """Close the database (it is opened again when next needed)."""
        with self._locked():
            if self._db is not None:
                self._db.close()
                self._db = None

    def warm(self) -> threading.Thread:
        """Bring the database up to date in a background thread (a server's start-up: a
        missing one is built, which takes a minute at 100,000 claims; a search meanwhile
        waits for it)."""

        def run() -> None:
            try:
                self.current()
            except Exception:  # noqa: BLE001 - a search tries again, and says what broke
                logging.getLogger(__name__).exception("building the search index %s", self.path)

        thread = threading.Thread(target=run, name="annotate-search-index", daemon=True)
        thread.start()
        return thread

    def rebuild(self) -> tuple[int, int]:
        """Build the database afresh from the files; how many claims and documents."""
        with self._locked():
            self.close()
            self._remove_files()
            db = self.current()
            claims = db.execute("SELECT count(*) FROM claim_files").fetchone()[0]
            docs = db.execute("SELECT count(*) FROM doc_files").fetchone()[0]
            return claims, docs

    # -- keeping it current ----------------------------------------------------------

    def current(self) -> sqlite3.Connection:
        """The database, brought up to date with the claim files and the corpus."""
        with self._locked():
            db = self._connect()
            self._sync_claims(db)
            self._sync_docs(db)
            return db

    def _sync_claims(self, db: sqlite3.Connection) -> None:
        changed, first = self.store.take_changed()
        if not changed and not first:
            return
        try:
            items = list(changed.items())
            if first:  # what the database holds that is no longer a valid claim file
                with self._writing(db):
                    known = dict(db.execute("SELECT name, signature FROM claim_files"))
                    for gone in set(known) - set(changed):
                        self._drop_claim(db, gone)
                # Only the files whose signature differs are looked at again (under the
                # write lock, where another process may have caught up meanwhile).
                items = [(n, sig) for n, sig in items if known.get(n) != str(sig) or not sig]
            items.sort()
            # A transaction a batch: another process's search waits for one batch at most,
            # not for a whole build.
            for at in range(0, len(items), BATCH):
                with self._writing(db):
                    for name, sig in items[at : at + BATCH]:
                        self._sync_claim(db, name, sig)
        except BaseException:
            self.store.forget_changed()  # not all applied: compare every file next time
            raise

    def _sync_claim(self, db: sqlite3.Connection, name: str, sig: int) -> None:
        """Bring one claim file's rows up to date (`sig` 0: gone or broken), under the
        write lock; a file whose signature the database has already is not read."""
        row = db.execute("SELECT signature FROM claim_files WHERE name = ?", (name,)).fetchone()
        held = row[0] if row else None
        if sig and held == str(sig):
            return
        read = self.store.read_named(name) if sig else None
        if read is None:
            if held is not None:
                self._drop_claim(db, name)
        elif held != str(read[0]):
            self._put_claim(db, _claim_row(name, *read))

    @staticmethod
    def _drop_claim(db: sqlite3.Connection, name: str) -> None:
        row = db.execute("SELECT id FROM claim_files WHERE name = ?", (name,)).fetchone()
        if row is not None:
            db.execute("DELETE FROM claim_text WHERE rowid = ?", row)
            db.execute("DELETE FROM claim_files WHERE id = ?", row)

    def _put_claim(self, db: sqlite3.Connection, row: tuple[str, ...]) -> None:
        self._drop_claim(db, row[0])
        cur = db.execute(
            "INSERT INTO claim_files (name, signature, claim_id) VALUES (?, ?, ?)", row[:3]
        )
        db.execute(
            f"INSERT INTO claim_text (rowid, {', '.join(CLAIM_COLUMNS)})"
            f" VALUES ({', '.join('?' * (len(CLAIM_COLUMNS) + 1))})",
            (cur.lastrowid, *row[2:]),
        )

    def _sync_docs(self, db: sqlite3.Connection) -> None:
        docs = self.corpus.documents()  # refreshes the corpus
        if self.corpus.generation == self._docs_seen:
            return
        seen = self.corpus.generation
        known = dict(db.execute("SELECT doc_id, sha256 FROM doc_files"))
        ids = {d.id for d in docs}
        with self._writing(db):
            for gone in set(known) - ids:
                self._drop_doc(db, gone)
        stale = [d for d in docs if known.get(d.id) != d.sha256]
        for at in range(0, len(stale), BATCH // 10):
            with self._writing(db):
                for doc in stale[at : at + BATCH // 10]:
                    row = db.execute(
                        "SELECT sha256 FROM doc_files WHERE doc_id = ?", (doc.id,)
                    ).fetchone()
                    if row is not None and row[0] == doc.sha256:
                        continue  # another process has just indexed it
                    try:
                        text = doc.text
                    except NotFound:  # gone since listed: the next look drops it
                        continue
                    self._drop_doc(db, doc.id)
                    cur = db.execute(
                        "INSERT INTO doc_files (doc_id, sha256) VALUES (?, ?)",
                        (doc.id, doc.sha256),
                    )
                    db.execute(
                        "INSERT INTO doc_text (rowid, title, body) VALUES (?, ?, ?)",
                        (cur.lastrowid, doc.meta.title or doc.id, text),
                    )
        self._docs_seen = seen

    @staticmethod
    def _drop_doc(db: sqlite3.Connection, doc_id: str) -> None:
        row = db.execute("SELECT id FROM doc_files WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is not None:
            db.execute("DELETE FROM doc_text WHERE rowid = ?", row)
            db.execute("DELETE FROM doc_files WHERE id = ?", row)

    # -- searching -------------------------------------------------------------------

    def _row_files(self, db: sqlite3.Connection, rows: list[int]) -> dict[int, tuple[str, str]]:
        """The claim id and file name of each row of `rows` (a slice of a search's hits), by
        row id (a row removed since it was found is left out): nothing is kept between
        searches (a map of every row held 35 MB at 100,000 claims, for good)."""
        files: dict[int, tuple[str, str]] = {}
        most = min(IN_CHUNK, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        for at in range(0, len(rows), most):
            chunk = rows[at : at + most]
            files.update(
                (i, (c, n))
                for i, c, n in db.execute(
                    "SELECT id, claim_id, name FROM claim_files"
                    f" WHERE id IN ({', '.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return files

    def _files_held(self, db: sqlite3.Connection) -> int:
        """How many claim files the database holds (counted again only after a write, this
        process's or another's: a count of 100,000 rows takes some 5 ms)."""
        now = (db.execute("PRAGMA data_version").fetchone()[0], db.total_changes)
        if self._held[0] != now:
            self._held = (now, db.execute("SELECT count(*) FROM claim_files").fetchone()[0])
        return self._held[1]

    def listing(self, query: str) -> Listed | None:
        """The summaries of the claims a query finds, best first, counted by the database
        and fetched a slice at a time (see `Listed`): what a list with no other filter shows.
        None when the database holds a claim file the store does not serve (one not named
        by its id, say), or is not in step with it: then every hit must be looked at to
        count them (`claims`)."""
        with self._locked():
            db = self.current()
            held = self._files_held(db)
            total, every = 0, True
            for every in (True, False):
                expr = fts_query(query, every)
                if expr is None:
                    break
                total = db.execute(
                    "SELECT count(*) FROM claim_text WHERE claim_text MATCH ?", (expr,)
                ).fetchone()[0]
                if total or len(terms(query)) < 2:
                    break
        if held != sum(self.store.counts().total.values()):
            return None
        return Listed(self, query, total, every)

    def claim_names(self, query: str, every: bool, start: int, stop: int) -> list[str]:
        """The files of the claims a query finds from `start` to `stop` in the order of
        `claims` (`every`: all the words, else any), SQLite sorting the best `stop` alone."""
        with self._locked():
            db = self.current()
            sql, params = self._ranked(query, every, True)
            rows = [
                r for (r,) in db.execute(f"{sql} LIMIT ? OFFSET ?", (*params, stop - start, start))
            ]
            files = self._row_files(db, rows)
        return [f[1] for r in rows if (f := files.get(r)) is not None]

    def claims(self, query: str, rationale: bool = True) -> ClaimHits:
        """The claims matching a query (see the module), best first: by how well their
        statement or quotes hold the words (`_tiers`), then bm25, then by row. Without
        `rationale`, the rationales are not searched (what blind review hides)."""
        with self._locked():
            db = self.current()
            for every in (True, False):
                if fts_query(query, every) is None:
                    return ClaimHits([])
                rows = db.execute(*self._ranked(query, every, rationale, files=True)).fetchall()
                if rows or len(terms(query)) < 2:
                    break
            else:
                return ClaimHits([], every=False)
        return ClaimHits([r for r, _, _ in rows], {r: (c, n) for r, c, n in rows}, every)

    def _ranked(
        self, query: str, every: bool, rationale: bool, files: bool = False
    ) -> tuple[str, tuple[str, ...]]:
        """The statement giving the row ids of the claims a query finds, best first (see
        `claims`), and its parameters; with `files`, each row's claim id and file name too
        (looked up by SQLite as it goes: one lookup by row id a hit)."""
        expr = fts_query(query, every)
        assert expr is not None
        # The whole order is SQLite's, in one statement: each tier's rows are an
        # `IN (SELECT …)` that SQLite gathers once, and the sort is its own (a third cheaper
        # than sorting the rows in Python at 10,000 hits).
        tiers = self._tiers(query) if every else []
        if len(tiers) == 1:
            # One term: its one tier is whether the statement has it, which a bm25 weighing
            # the statement alone says (below 0: it has) without a second search of the
            # whole index (a tenth to a fifth of the time at 10,000 hits).
            tier = f" bm25(claim_text, {_STATEMENT_BM25}) >= 0,"
            tiers = []
        else:
            ranked = "".join(
                " WHEN claim_text.rowid IN"
                f" (SELECT rowid FROM claim_text WHERE claim_text MATCH ?) THEN {n}"
                for n, _ in tiers
            )
            tier = f" CASE{ranked} ELSE 9 END," if tiers else ""
        # Every column: no column filter (the same rows and scores, less work).
        cols = " ".join(c for c in CLAIM_COLUMNS if c != "rationale")
        within = expr if rationale else f"{{{cols}}} : ({expr})"
        found = (
            "claim_text.rowid, f.claim_id, f.name FROM claim_text"
            " JOIN claim_files AS f ON f.id = claim_text.rowid"
            if files
            else "claim_text.rowid FROM claim_text"
        )
        return (
            f"SELECT {found} WHERE claim_text MATCH ? ORDER BY"
            + tier
            + f" bm25(claim_text, {_CLAIM_BM25}), claim_text.rowid",
            (within, *(t for _, t in tiers)),
        )

    @staticmethod
    def _tiers(query: str) -> list[tuple[int, str]]:
        """How well a claim's statement or quotes hold a query's words, as FTS5 expressions
        (best first: a claim is in the first tier whose expression it matches; the claims
        matching none come after): in its statement, the words close together as typed with
        two of them side by side as typed (0), close together, a negation word as typed or
        another (1); close together in a quote (2); anywhere in the statement (3)."""
        every = fts_query(query)
        assert every is not None
        near, typed = near_query(query), near_query(query, forms=False)
        tiers = []
        if near is not None and typed is not None:
            pairs = " OR ".join(_quoted(f"{a} {b}") for a, b in itertools.pairwise(terms(query)))
            tiers += [
                (0, f"{{statement}} : (({typed}) AND ({pairs}))"),
                (1, f"{{statement}} : ({near})"),
                (2, f"{{quotes}} : ({near})"),
            ]
        return [*tiers, (3, f"{{statement}} : ({every})")]

    def claim_highlights(
        self, query: str, ids: list[str], every: bool = True
    ) -> dict[str, dict[str, str]]:
        """For the claims `ids`, their statement with each matched word between `START` and
        `STOP`, and excerpts of the claimant, rationale and quotes where a word matched."""
        expr = fts_query(query, every)
        if expr is None or not ids:
            return {}
        marks = f"'{START}', '{STOP}'"
        with self._locked():
            db = self.current()
            # The rows of the claims asked for, by their files' names (`<id>.json`: the
            # store serves no other; `name` is indexed), then the query's hits walked for
            # those rows (cheap: the functions run for the rows kept), not looked up one by
            # one (`+rowid`: each lookup would start the query again, dear for a query of
            # many words). As many rows a statement as SQLite takes parameters (`GET
            # /api/claims?q=` asks for every claim found: at 100,000 claims, more than its
            # 32,766).
            most = min(IN_ROWS, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1)
            found: list[tuple[str, list[str]]] = []
            for at in range(0, len(ids), most):
                chunk = ids[at : at + most]
                rows = dict(
                    db.execute(
                        "SELECT id, claim_id FROM claim_files"
                        f" WHERE name IN ({', '.join('?' * len(chunk))})",
                        [f"{i}.json" for i in chunk],
                    )
                )
                if not rows:
                    continue
                found += [
                    (rows[rowid], texts)
                    for rowid, *texts in db.execute(
                        f"SELECT rowid, highlight(claim_text, 1, {marks}),"
                        f" highlight(claim_text, 2, {marks}),"
                        f" snippet(claim_text, 3, {marks}, '…', 24),"
                        f" snippet(claim_text, 4, {marks}, '…', 24),"
                        f" snippet(claim_text, 5, {marks}, '…', 24)"
                        " FROM claim_text WHERE claim_text MATCH ?"
                        f" AND +rowid IN ({', '.join('?' * len(rows))})",
                        (expr, *rows),
                    )
                ]
        names = ("statement", "claimant", "rationale", "quotes", "notes")
        out: dict[str, dict[str, str]] = {}
        for cid, texts in found:
            fields = dict(zip(names, texts, strict=True))
            out[cid] = {
                k: v for k, v in fields.items() if k in ("statement", "claimant") or START in v
            }
        return out

    def documents(self, query: str, offset: int = 0, limit: int = 50) -> tuple[int, Found]:
        """How many documents have a query's words in their title or text, and `limit` of
        them from `offset`, best first (negation words as typed: a document has them all)."""
        for every in (True, False):
            quoted = [_quoted(t) for t in terms(query)]
            if not quoted:
                return 0, Found([])
            expr = (" AND " if every else " OR ").join(quoted)
            with self._locked():
                db = self.current()
                total = db.execute(
                    "SELECT count(*) FROM doc_text WHERE doc_text MATCH ?", (expr,)
                ).fetchone()[0]
                # bm25 called directly (not the `rank` column: the same scores, cheaper), and
                # the page's rows alone looked up in `doc_files` (joined before the sort,
                # every hit was: a third of the time at 9,000 hits).
                rows = (
                    db.execute(
                        f"SELECT rowid, bm25(doc_text, {_DOC_BM25}) AS score FROM doc_text"
                        " WHERE doc_text MATCH ? ORDER BY score LIMIT ? OFFSET ?",
                        (expr, limit, offset),
                    ).fetchall()
                    if total
                    else []
                )
                marks = ", ".join("?" * len(rows))
                ids = dict(
                    db.execute(
                        f"SELECT id, doc_id FROM doc_files WHERE id IN ({marks})",
                        [r for r, _ in rows],
                    )
                )
            if total or len(quoted) < 2:
                hits = [Hit(ids[r], s) for r, s in rows if r in ids]
                return total, Found(hits, every)
        return 0, Found([], False)

    def document_snippets(self, query: str, ids: list[str], every: bool = True) -> dict[str, str]:
        """For the documents `ids`, an excerpt of the text around matched words."""
        expr = (" AND " if every else " OR ").join(_quoted(t) for t in terms(query))
        if not expr or not ids:
            return {}
        with self._locked():
            rows = (
                self.current()
                .execute(
                    f"SELECT f.doc_id, snippet(doc_text, 1, '{START}', '{STOP}', '…', 32)"
                    " FROM doc_text t JOIN doc_files f ON f.id = t.rowid"
                    f" WHERE doc_text MATCH ? AND f.doc_id IN ({', '.join('?' * len(ids))})",
                    (expr, *ids),
                )
                .fetchall()
            )
        return dict(rows)
