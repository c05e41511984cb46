"""What the in-memory index keeps per claim file: a `Summary` of the claim (with a `Mark`
per appearance), the file's signature, and the `Counts` made from them."""

from __future__ import annotations

import hashlib
import struct
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, overload

from ..models import Claim, ReviewStatus, review_status
from .claimfile import StoreProblem
from .statcheck import signature as signature  # made there: the check's process runs it too


class Mark(NamedTuple):
    """What the index keeps of one appearance: enough to mark it in its document.

    Not the quote itself (it is the document's text at the offsets, which the corpus holds):
    its digest (`quote_digest`), to tell whether the text there is still the quote.

    A named tuple, as `Summary` is: immutable, and made by the kept index without a call to
    a Python `__init__` (see `persisted.decode`).
    """

    doc: str
    start: int
    end: int
    digest: int
    orphaned: bool

    def matches(self, text: str) -> bool:
        """Whether `text` still has the quote at the offsets."""
        return self.end <= len(text) and quote_digest(text[self.start : self.end]) == self.digest


_MARK = struct.Struct("<IIIQ?")
"""A `Mark` packed: its document's number (`_DOCS`), start, end, digest and orphaned."""
MARK_SIZE = _MARK.size

_DOCS: list[str] = []
"""The documents marks name, by number: only ever added to (a process's few thousand)."""
_DOC_NUMBERS: dict[str, int] = {}
_DOCS_LOCK = threading.Lock()
_new = tuple.__new__


def _doc_number(doc: str) -> int:
    number = _DOC_NUMBERS.get(doc)
    if number is None:
        with _DOCS_LOCK:
            number = _DOC_NUMBERS.get(doc)
            if number is None:
                number = len(_DOCS)
                _DOCS.append(sys.intern(doc))
                _DOC_NUMBERS[_DOCS[number]] = number
    return number


class Marks(Sequence[Mark]):
    """A claim's `Mark`s, packed in one `bytes` (21 bytes each, the document a number): a
    sequence of `Mark`s to whoever reads it, each made when read.

    The index holds one per claim: at 100,000 claims, 224,000 marks as named tuples (with
    their ints) took 44 MB; packed, 13 MB. Equal when their marks are (in one process: the
    documents' numbers are this process's).
    """

    __slots__ = ("_data",)

    def __init__(self, data: bytes = b"") -> None:
        self._data = data

    @classmethod
    def of(cls, marks: Iterable[tuple[str, int, int, int, bool]]) -> Marks:
        """The marks of (doc, start, end, digest, orphaned) tuples, in that order."""
        pack, known = _MARK.pack, _DOC_NUMBERS
        return cls(
            b"".join(
                [
                    pack(known[d] if d in known else _doc_number(d), a, b, h, o)
                    for d, a, b, h, o in marks
                ]
            )
        )

    @property
    def packed(self) -> bytes:
        """The marks packed, their documents numbered as this process numbers them (see
        `renumbered`)."""
        return self._data

    def renumbered(self, table: Sequence[int]) -> bytes:
        """The marks packed with each document's number `n` made `table[n]` (from this
        process's numbering to another's, as the kept index keeps them, or back)."""
        pack = _MARK.pack
        return b"".join(
            [pack(table[n], a, b, h, o) for n, a, b, h, o in _MARK.iter_unpack(self._data)]
        )

    @staticmethod
    def numbered(docs: Sequence[str]) -> list[int]:
        """This process's number of each of `docs` (numbered now if new): a table from a
        numbering in which `docs[i]` is `i` to this process's. In a process that numbers
        `docs` first (a server's start from the kept index), the table is `0, 1, 2...`: the
        kept marks are then this process's as they are."""
        known = _DOC_NUMBERS
        return [known[d] if d in known else _doc_number(d) for d in docs]

    @staticmethod
    def numbering() -> list[str]:
        """The documents this process has numbered, by number."""
        return list(_DOCS)

    def __iter__(self) -> Iterator[Mark]:
        # `tuple.__new__` rather than `Mark(...)`: a named tuple's constructor is a Python
        # function, which took half the time of a pass over every claim's marks.
        docs = _DOCS
        return iter(
            [_new(Mark, (docs[n], a, b, h, o)) for n, a, b, h, o in _MARK.iter_unpack(self._data)]
        )

    def __len__(self) -> int:
        return len(self._data) // _MARK.size

    @overload
    def __getitem__(self, at: int) -> Mark: ...

    @overload
    def __getitem__(self, at: slice) -> list[Mark]: ...

    def __getitem__(self, at: int | slice) -> Mark | list[Mark]:
        if isinstance(at, slice):
            return list(self)[at]
        n = len(self)
        if not -n <= at < n:
            raise IndexError("mark index out of range")
        d, a, b, h, o = _MARK.unpack_from(self._data, (at % n) * _MARK.size)
        return _new(Mark, (_DOCS[d], a, b, h, o))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Marks):
            return self._data == other._data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        return f"Marks({list(self)!r})"

    @staticmethod
    def ranked(rank: Mapping[str, int], missing: int) -> list[int]:
        """`rank` (documents in an order) by document number, for `first`; `missing` for a
        document it does not have."""
        return [rank.get(d, missing) for d in list(_DOCS)]

    def first(self, ranks: list[int], missing: int) -> tuple[int, int]:
        """The rank and start of the first mark in the order of `ranks` (from `ranked`; a
        document numbered since has `missing`): where a claim first appears, without making
        a `Mark` of each (the claims page sorts 100,000 claims so)."""
        n = len(ranks)
        return min(
            [(ranks[d] if d < n else missing, a) for d, a, _, _, _ in _MARK.iter_unpack(self._data)]
        )

    @property
    def docs(self) -> set[str]:
        """The documents the marks are in."""
        docs = _DOCS
        return {docs[t[0]] for t in _MARK.iter_unpack(self._data)}


def quote_digest(text: str) -> int:
    """A quote's digest as `Mark` keeps it: 64 bits of BLAKE2b, the same in every process
    (the built-in `hash` of a string is not, and the index is kept between runs)."""
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def compact(text: str) -> str | bytes:
    """A text as held in the index: a `str` when it is Latin-1 (one byte a character),
    else UTF-8 bytes (a `str` would take two or four bytes for every character)."""
    return text if text.isascii() or max(text) <= "\xff" else text.encode("utf-8")


def _expand(data: str | bytes) -> str:
    return data if isinstance(data, str) else data.decode("utf-8")


class Link(NamedTuple):
    """What the index keeps of one of a claim's relations: its kind and the other claim."""

    kind: str
    claim: str


class Named(NamedTuple):
    """What the index keeps of the question a claim names: the name and its answer."""

    name: str
    answer: str


class Summary(NamedTuple):
    """What the index keeps of a claim: enough for lists, counts, filters and marked text.

    It has the attributes of `Claim` that pages and filters read, so either can be listed.
    A named tuple rather than a frozen dataclass: as immutable, and a start that takes
    100,000 of them from the kept index makes each with `tuple.__new__` (a frozen
    dataclass's `__init__` sets each field through `object.__setattr__`: three times the
    time). Change one with `_replace`.
    """

    id: str
    version: int
    statement_text: str | bytes
    """The statement as `compact` keeps it (`statement` gives the text)."""
    claimant: str
    claim_date: date | None
    verdict: str | None
    rationale_text: str | bytes | None
    """The rationale as `compact` keeps it (`rationale` gives the text)."""
    updated_at: datetime
    appearances: Marks
    reviews: tuple[tuple[str, str], ...] = ()
    """Each review's reviewer and verdict, by name."""
    settled: str | None = None
    reopened: bool = False
    tags: tuple[str, ...] = ()
    claim_month: str | None = None
    """The month the claim was made in (`2021-02`), for a claim dated by month only."""
    relations: tuple[Link, ...] = ()
    """The claim's relations to other claims (what questions and the claims linking to one
    are worked out from, without reading every claim file)."""
    question: Named | None = None
    """The question this claim names, if it does."""

    @property
    def status(self) -> str:
        """The verdict, or `unreviewed`."""
        return self.verdict or "unreviewed"

    @property
    def review_status(self) -> ReviewStatus:
        """Where the claim is in review (see `models.review_status`)."""
        return review_status(
            self.verdict, self.settled, self.reopened, [v for _, v in self.reviews]
        )

    @property
    def reviewers(self) -> tuple[str, ...]:
        """Who has reviewed the claim, by name."""
        return tuple(n for n, _ in self.reviews)

    @property
    def statement(self) -> str:
        """The reviewer's wording of the claim."""
        return _expand(self.statement_text)

    @property
    def rationale(self) -> str | None:
        """The rationale of the verdict, if any."""
        return None if self.rationale_text is None else _expand(self.rationale_text)

    @classmethod
    def of(cls, claim: Claim) -> Summary:
        """The summary of a parsed claim."""
        return cls(
            claim.id,
            claim.version,
            compact(claim.statement),
            sys.intern(claim.claimant),
            claim.claim_date,
            sys.intern(claim.verdict) if claim.verdict else None,
            None if claim.rationale is None else compact(claim.rationale),
            claim.updated_at,
            Marks.of(
                (a.doc, a.start, a.end, quote_digest(a.exact), a.orphaned)
                for a in claim.appearances
            ),
            tuple((sys.intern(n), sys.intern(r.verdict)) for n, r in sorted(claim.reviews.items())),
            claim.settled,
            claim.reopened is not None,
            tuple(sys.intern(t) for t in claim.tags),
            claim.claim_month,
            tuple(Link(sys.intern(r.kind), r.claim) for r in claim.relations),
            Named(claim.question.name, claim.question.answer) if claim.question else None,
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
class Entry:
    signature: int
    summary: Summary | None
    problems: list[StoreProblem]
