"""The index kept between runs: every claim file's signature and `Summary`, in SQLite, in
the store's ignored scratch folder (`.annotate-tmp/index.sqlite`), so that a server starts
by stat-ing the files instead of reading all of them (and, in a table of its own, what the
corpus knows of each document: `Corpus.keep_index`).

It is a cache, never the record. A server's first look at the folder (`Store.keep_index`)
loads it, lists the folder once and stats every file (`statcheck`: in a process of its own
for a big store, while this one decodes the rows): a file whose signature (inode, size,
mtime: `summary.signature`) is the one kept is taken from the database, any other (added,
edited by hand or by `git pull`) is read, and the rows of files no longer there are dropped.
A database that is missing, unreadable, of another schema or Python, or made for another
store folder is built again from the files (with a log line). The server's thread that
follows the folder (`Store.follow`) writes what changed since, every `SAVE_EVERY` seconds,
a batch to a transaction: several processes serving one store each write their changes; a
row written late by one only makes the next start read that file again (its signature no
longer matches), never serves a stale summary.

Its own file rather than a table of the search database (`record/search.py`): that one is
rebuilt and written in long batches by its own thread, and the index must not wait for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import orjson

from . import statcheck
from .claimfile import TEMP
from .summary import MARK_SIZE, Entry, Link, Marks, Named, Summary

SCHEMA = 6
"""Bumped when the rows' layout changes: a database of another schema is rebuilt."""

SAVE_EVERY = 2.0
"""Seconds between two writes of what changed (by the thread that follows the folder)."""

BATCH = 5000
"""Rows written in one transaction."""

ROWS_PER_STATEMENT = 200
"""Summaries written by one INSERT statement (4 parameters each: under the 999 parameters
SQLite allows before 3.32)."""

FILE = statcheck.INDEX_FILE

log = logging.getLogger(__name__)


def _python() -> str:
    # `summary.signature` hashes a tuple of ints: stable across processes, not promised
    # across Python versions.
    return f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"


def encode(s: Summary, to_kept: Sequence[int]) -> tuple[bytes, bytes]:
    """A summary as the database keeps it: a JSON array, and its marks packed as `Marks`
    packs them, with the database's numbers of their documents (`to_kept`: by this
    process's number, see `IndexFile.save`)."""
    return orjson.dumps(
        [
            s.id,
            s.version,
            s.statement,
            # Which texts the index holds as UTF-8 bytes (`summary.compact`), so that
            # `decode` need not look at every character again.
            isinstance(s.statement_text, bytes) | isinstance(s.rationale_text, bytes) << 1,
            s.claimant,
            s.claim_date.isoformat() if s.claim_date else None,
            s.verdict,
            s.rationale,
            s.updated_at.isoformat(),
            s.reviews,
            s.settled,
            s.reopened,
            s.tags,
            s.claim_month,
            [[r.kind, r.claim] for r in s.relations],
            [s.question.name, s.question.answer] if s.question else None,
        ]
    ), s.appearances.renumbered(to_kept)


def decode(data: bytes, marks: bytes, table: Sequence[int] | None) -> Summary:
    """The summary `encode` wrote (strings interned as `Summary.of` interns them), its
    marks' documents renumbered by `table` (None: the database's numbers are this
    process's, as in a server's start: the marks are taken as they are).

    Made with `tuple.__new__` and list comprehensions rather than the classes' constructors
    and generators: a warm start decodes every summary of the store (100,000: 1.3 s of CPU
    before, 0.5 s so; the marks kept packed, rather than as JSON packed again, a fifth
    less again)."""
    (i, version, statement, wide, claimant, day, verdict, rationale, at, reviews,
     settled, reopened, tags, month, links, named) = orjson.loads(data)  # fmt: skip
    intern = sys.intern
    if len(marks) % MARK_SIZE:
        raise ValueError("marks cut short")
    appearances = Marks(marks) if table is None else Marks(Marks(marks).renumbered(table))
    return _new(
        Summary,
        (
            i,
            version,
            statement.encode() if wide & 1 else statement,
            intern(claimant),
            _day(day) if day else None,
            intern(verdict) if verdict else None,
            rationale.encode() if wide & 2 else rationale,
            _moment(at),
            appearances,
            tuple([(intern(n), intern(v)) for n, v in reviews]) if reviews else (),
            settled,
            reopened,
            tuple([intern(t) for t in tags]) if tags else (),
            month,
            tuple([_new(Link, (intern(k), c)) for k, c in links]) if links else (),
            _new(Named, (named[0], named[1])) if named else None,
        ),
    )


_new = tuple.__new__
_day = date.fromisoformat
_moment = datetime.fromisoformat


class IndexFile:
    """The database of one store folder (see the module). Every method is safe to call from
    several processes at once; none raises for a database it cannot use: it logs, and the
    index is then built from the files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / TEMP / FILE
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._numbers: _Numbers | None = None
        """The database's document numbers as the last write read them (see `_kept_numbers`)."""

    def _connect(self) -> sqlite3.Connection:
        """The open database, made (or made again) as the module says."""
        if self._db is not None and self._pid == os.getpid():
            return self._db
        self._db = None
        self._numbers = None  # another connection, perhaps another file
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            try:
                db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                self._create(db)
                break
            except sqlite3.DatabaseError as exc:
                with contextlib.suppress(NameError, sqlite3.Error):
                    db.close()
                if attempt == 2 or isinstance(exc, sqlite3.OperationalError):
                    raise  # locked, or not to be opened: left as it is
                log.warning("the index database %s is unreadable (%s): building it again",
                            self.path, exc)  # fmt: skip
                self._remove()
        self._db, self._pid = db, os.getpid()
        return db

    def _remove(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def _create(self, db: sqlite3.Connection) -> None:
        wanted = {"schema": str(SCHEMA), "root": str(self.root.resolve()), "python": _python()}
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            held = dict(db.execute("SELECT key, value FROM meta"))
            if all(held.get(k) == v for k, v in wanted.items()):
                return
            if held:
                why = ", ".join(
                    f"{k} {held.get(k)!r} (not {v!r})"
                    for k, v in wanted.items()
                    if held.get(k) != v
                )
                log.warning("the index database %s was made for %s: building it again",
                            self.path, why)  # fmt: skip
            db.execute("DROP TABLE IF EXISTS summaries")
            db.execute("DROP TABLE IF EXISTS documents")
            db.execute("DROP TABLE IF EXISTS marked")
            db.execute(
                "CREATE TABLE summaries (name TEXT PRIMARY KEY, signature TEXT NOT NULL,"
                " summary BLOB NOT NULL, marks BLOB NOT NULL) WITHOUT ROWID"
            )
            # The documents the kept marks are in, numbered 0, 1, 2... as they first come
            # (a number is never given again, nor taken back).
            db.execute("CREATE TABLE marked (number INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
            db.execute(
                "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, signature TEXT NOT NULL,"
                " sha256 TEXT NOT NULL, length INTEGER NOT NULL, meta BLOB NOT NULL)"
                " WITHOUT ROWID"
            )
            db.execute("DELETE FROM meta")
            db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())

    def summaries(self) -> Iterator[tuple[str, int, Summary | None]]:
        """Every kept file's name, signature and summary, one at a time (None: a row this
        version cannot read, whose file is to be read; nothing when the database cannot be
        used: the files are read instead)."""
        try:
            # Read in one transaction: the documents' numbers are those of the rows read,
            # and rows written meanwhile by another process are for its next look.
            db = self._connect()
            db.execute("BEGIN")
            try:
                numbered = db.execute("SELECT number, doc FROM marked ORDER BY number").fetchall()
                if [n for n, _ in numbered] != list(range(len(numbered))):
                    # Not as `save` numbers them: the database is built again.
                    raise sqlite3.DatabaseError("the marked documents are not numbered 0, 1, 2…")
                docs = [doc for _, doc in numbered]
                table: list[int] | None = Marks.numbered(docs)
                if table == list(range(len(docs))):
                    table = None  # this process numbers them as the database does
                rows = db.execute("SELECT name, signature, summary, marks FROM summaries")
                for name, sig, data, marks in rows:
                    try:
                        summary: Summary | None = decode(data, marks, table)
                    except (ValueError, TypeError, IndexError):
                        summary = None
                    yield name, int(sig), summary
            finally:
                db.rollback()  # only read
        except (sqlite3.Error, OSError, ValueError) as exc:
            log.warning("the index database %s cannot be read (%s): reading the files",
                        self.path, exc)  # fmt: skip
            self.close()
            if isinstance(exc, sqlite3.DatabaseError) and not isinstance(
                exc, sqlite3.OperationalError
            ):
                self._remove()  # damaged: built again by the next write

    def save(self, changed: dict[str, Entry | None], pace: float = 0.0) -> bool:
        """Keep these entries (None, or a file that is not a valid claim: drop the row);
        whether it was written (when not, the next start reads those files again).

        Each batch is encoded just before it is written: all of a first build's 100,000
        encoded at once took 410 MB, held for the whole write, and kept by the process.
        Its marks' documents are numbered as the database numbers them, in the batch's own
        transaction (a database built again by another process meanwhile numbers them
        afresh).

        With `pace`, a thread writing beside requests (`Index.follow`'s) waits that many
        seconds after each `ROWS_PER_STATEMENT` rows: encoding them holds the interpreter,
        and 1,000 rows at once made every request under way then wait for all of them."""
        put: list[tuple[str, int, Summary]] = []
        drop: list[str] = []
        for name, e in changed.items():
            if e is None or e.summary is None or e.problems:
                drop.append(name)
            else:
                put.append((name, e.signature, e.summary))
        try:
            db = self._connect()
            with _writing(db):
                for at in range(0, len(drop), ROWS_PER_STATEMENT):
                    names = drop[at : at + ROWS_PER_STATEMENT]
                    db.execute(
                        f"DELETE FROM summaries WHERE name IN ({', '.join('?' * len(names))})",
                        names,
                    )
            for at in range(0, len(put), BATCH):
                with _writing(db):
                    to_kept, numbers = self._kept_numbers(db)
                    batch = put[at : at + BATCH]
                    for first in range(0, len(batch), ROWS_PER_STATEMENT):
                        rows = [
                            (n, str(sig), *encode(s, to_kept))
                            for n, sig, s in batch[first : first + ROWS_PER_STATEMENT]
                        ]
                        _insert(db, rows)
                        if pace:
                            time.sleep(pace)
                self._numbers = numbers  # written: they are the database's
        except (sqlite3.Error, OSError) as exc:
            log.warning("the index database %s was not written (%s)", self.path, exc)
            self.close()
            return False
        return True

    def _kept_numbers(self, db: sqlite3.Connection) -> tuple[list[int], _Numbers]:
        """The database's number of each document this process has numbered, by this
        process's number (those the database did not have numbered now, after the others),
        and what to keep of them once the transaction is written. In a write transaction.

        Read whole once (10,000 documents: 10 to 30 ms of a save under load, every 2
        seconds); after that only the rows other processes added, while the database's
        schema is the one read then: numbers are only ever added, 0, 1, 2..., and building
        the database again (`_create`) drops and makes the table, which changes SQLite's
        `schema_version`."""
        (version,) = db.execute("PRAGMA schema_version").fetchone()
        cached = self._numbers
        if cached is not None and cached.schema == version:
            held, to_kept = cached.held, cached.to_kept
            # Rows another process added since are committed rows: kept whatever becomes
            # of this transaction.
            held.update(
                db.execute("SELECT doc, number FROM marked WHERE number >= ?", (len(held),))
            )
        else:
            held, to_kept = dict(db.execute("SELECT doc, number FROM marked")), []
        docs = Marks.numbering()
        if len(to_kept) < len(docs):
            more = docs[len(to_kept) :]
            new = [d for d in more if d not in held]
            if new:
                held = dict(held)  # the cache's stays as it was until this is written
                first = max(held.values(), default=-1) + 1
                rows = [(first + i, d) for i, d in enumerate(new)]
                db.executemany("INSERT INTO marked VALUES (?, ?)", rows)
                held.update((d, n) for n, d in rows)
            to_kept = [*to_kept, *(held[d] for d in more)]
        return to_kept, _Numbers(version, held, to_kept)

    # -- the corpus's documents ---------------------------------------------------------

    def documents(self, corpus: Path) -> dict[str, tuple[str, str, int, bytes]]:
        """What is kept of each document of the corpus folder `corpus` (its files' signature
        as `Corpus` takes it, the sha256 and length of its text, its metadata as JSON), by
        id; none when the rows are of another corpus folder, or cannot be read."""
        try:
            db = self._connect()
            held = db.execute("SELECT value FROM meta WHERE key = 'corpus'").fetchone()
            if held is None or held[0] != str(corpus.resolve()):
                return {}
            rows = db.execute("SELECT doc_id, signature, sha256, length, meta FROM documents")
            return {d: (sig, sha, n, meta) for d, sig, sha, n, meta in rows}
        except (sqlite3.Error, OSError) as exc:
            log.warning("the index database %s cannot be read (%s): reading the documents",
                        self.path, exc)  # fmt: skip
            self.close()
            return {}

    def save_documents(
        self, corpus: Path, changed: dict[str, tuple[str, str, int, bytes] | None]
    ) -> bool:
        """Keep these documents' rows (None: drop it) for the corpus folder `corpus` (the
        rows of another corpus folder are dropped first); whether it was written."""
        root = str(corpus.resolve())
        try:
            db = self._connect()
            with _writing(db):
                held = db.execute("SELECT value FROM meta WHERE key = 'corpus'").fetchone()
                if held is None or held[0] != root:
                    db.execute("DELETE FROM documents")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('corpus', ?)", (root,))
                for doc_id, row in changed.items():
                    if row is None:
                        db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                    else:
                        db.execute(
                            "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                            (doc_id, *row),
                        )
        except (sqlite3.Error, OSError) as exc:
            log.warning("the index database %s was not written (%s)", self.path, exc)
            self.close()
            return False
        return True

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        self._db = None
        self._numbers = None


def _insert(db: sqlite3.Connection, rows: list[tuple[str, str, bytes, bytes]]) -> None:
    """Insert (or replace) these summaries' rows in one statement.

    Python's sqlite3 lets the interpreter go at every step of a statement, and `executemany`
    makes a step of each row: under load each waits for the interpreter to come back, and
    every hand-over costs the threads serving requests too (docs/performance.md, "The kept
    index's writes and the slowest saves")."""
    db.execute(
        "INSERT OR REPLACE INTO summaries VALUES " + ", ".join(["(?, ?, ?, ?)"] * len(rows)),
        [value for row in rows for value in row],
    )


class _Numbers(NamedTuple):
    """What a write read of the database's document numbers (see `IndexFile._kept_numbers`)."""

    schema: int
    """SQLite's `schema_version` then."""
    held: dict[str, int]
    """The database's number of each document it numbers."""
    to_kept: list[int]
    """The database's number of each of this process's documents, by this process's number."""


@contextlib.contextmanager
def _writing(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()
