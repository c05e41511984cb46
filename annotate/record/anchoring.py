"""Anchoring: where a quote sits in a document's text. Pure functions, no I/O, no Flask."""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal, overload

from .models import CONTEXT_CHARS, Anchor, AnchorInput


def context(text: str, start: int, end: int, size: int = CONTEXT_CHARS) -> tuple[str, str]:
    """The `size` characters before `start` and after `end` (W3C prefix and suffix)."""
    return text[max(0, start - size) : start], text[end : end + size]


def make_anchor(doc: str, text: str, start: int, end: int) -> Anchor:
    """An anchor for `text[start:end]` with its quote and context filled in from the text."""
    prefix, suffix = context(text, start, end)
    return Anchor(
        doc=doc, start=start, end=end, exact=text[start:end], prefix=prefix, suffix=suffix
    )


def anchor_problem(text: str, start: int, end: int, exact: str) -> str | None:
    """Say why `exact` is not `text[start:end]`, or None when it is."""
    if end > len(text):
        return f"offsets {start}-{end} are beyond the end of the document ({len(text)} characters)"
    found = text[start:end]
    if found != exact:
        return (
            f"the quote is not at offsets {start}-{end}: expected {_show(exact)}, "
            f"the text there is {_show(found)}"
        )
    return None


def checked_anchor(doc: str, text: str, given: AnchorInput) -> Anchor:
    """Build the stored anchor from a client's one, after checking its quote is really there.

    :raise ValueError: with a plain explanation when it is not.
    """
    problem = anchor_problem(text, given.start, given.end, given.exact)
    if problem:
        raise ValueError(problem)
    return make_anchor(doc, text, given.start, given.end)


def _show(s: str, limit: int = 60) -> str:
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    return repr(s)


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:  # pragma: no mutate (equivalent: callers give len(a) <= len(b))  # noqa: E501  # fmt: skip
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:  # pragma: no mutate (equivalent: callers give len(a) <= len(b))  # noqa: E501  # fmt: skip
        n += 1
    return n


def locate_quote(
    text: str,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
) -> tuple[int, int]:
    """Where a W3C text quote (with optional position hint) sits in `text`.

    The position is taken when the quote is really there; otherwise the occurrence of the
    quote whose surroundings agree best with `prefix` and `suffix` (the nearest to the hint
    breaks ties). When the quote is not found as is, runs of white space may differ.

    :raise ValueError: the quote is not in the text, or several places fit it equally well.
    """
    if not exact:
        raise ValueError("the quote is empty")
    if start is not None and end is not None and 0 <= start < end and text[start:end] == exact:
        return start, end
    spans = [(m.start(), m.start() + len(exact)) for m in re.finditer(re.escape(exact), text)]
    if not spans:
        words = exact.split()
        if words:
            pattern = r"\s+".join(re.escape(w) for w in words)
            spans = [(m.start(), m.end()) for m in re.finditer(pattern, text)]
    if not spans:
        raise ValueError(f"the quote {_show(exact)} is not in the document")
    if len(spans) == 1:
        return spans[0]

    def score(span: tuple[int, int]) -> tuple[int, int]:
        s, e = span
        agree = _common_suffix(text[max(0, s - len(prefix)) : s], prefix) + _common_prefix(
            text[e : e + len(suffix)], suffix
        )
        # Not mutated (equivalent): without a hint every span gets the same distance.
        distance = abs(s - start) if start is not None else 0  # pragma: no mutate
        return agree, -distance

    ranked = sorted(spans, key=score, reverse=True)
    if score(ranked[0]) == score(ranked[1]):
        raise ValueError(
            f"the quote {_show(exact)} occurs {len(spans)} times and its context does not "
            "tell which one is meant"
        )
    return ranked[0]


# -- re-anchoring after a document changed ---------------------------------------------------
#
# `locate` finds where an anchor's quote is now. The search runs on a normalised copy of the
# text (quotes, dashes, spaces, line endings, case) with a map back to the original offsets, so
# that copy-edits which change no words cost nothing, while the anchor's new `exact` is always
# the real text at its new offsets. Approximate matching uses Myers' bit-parallel algorithm on
# Python ints (any quote length, one pass over the text), and every candidate is scored on its
# quote, its context (prefix/suffix) and its distance from the old place: a passage that merely
# looks like the quote, in other surroundings, scores too low and the anchor is orphaned.

MAX_ERROR_RATE = 0.25
"""The most edit errors a moved quote may have, relative to its (normalised) length."""

MIN_SCORE = 0.7
"""Below this score a candidate is not the quote's passage: the anchor is orphaned instead."""

SURE_SCORE = 0.9
"""A verbatim candidate this good needs no approximate search."""

DISTINCT_CHARS = 24
"""An exact quote this long that occurs only once is its own evidence, whatever its context."""

SEED_CHARS = 8
"""Length of the exact pieces of quote and context that point to where the quote may be now
(seed and extend): Myers' search, with up to `MAX_ERROR_RATE` edits, runs only around the
places they point to and around the old place."""

FIRST_PLACES = 3
"""How many of the best-supported places are searched one by one before all the rest."""

MIN_VOTES = 2
"""How many exact pieces must agree on a place for it to be searched: one piece alone
(`' the iskan'`) points all over an article. A quote with two fewer edits than it has
pieces still keeps two of them, so it is found anywhere; near its old place, always."""

MAX_SEED_HITS = 64
"""A piece found more often than this (boilerplate) points nowhere in particular."""

MAX_CANDIDATES = 24
"""How many approximate matches (fewest errors first) are scored on their context."""

# Weights of quote, prefix, suffix and position in a candidate's score (as Hypothesis's client
# weighs them): the quote matters most, the context tells look-alikes apart, position only
# breaks ties between equally good places.
_W_QUOTE, _W_PREFIX, _W_SUFFIX, _W_POS = 50.0, 20.0, 20.0, 2.0
_W_ALL = _W_QUOTE + _W_PREFIX + _W_SUFFIX + _W_POS
_DISTINCT_SCORE = (_W_QUOTE + (_W_PREFIX + _W_SUFFIX) / 2) / _W_ALL

Status = Literal["exact", "moved", "orphaned"]


@dataclass(frozen=True)
class Placement:
    """Where an anchor's quote is in a (possibly edited) text.

    `exact`: still at its offsets. `moved`: found at `start`-`end` instead. `orphaned`: not
    found; `start`/`end`/`score` then describe the best rejected candidate, if there was one.
    """

    status: Status
    start: int | None
    end: int | None
    score: float
    errors: int = 0

    @property
    def placed(self) -> bool:
        """Whether the quote was found (exact or moved)."""
        return self.status != "orphaned"


_FOLD = {
    # Typographic quotes, primes and guillemets: outlets "normalise quotes" both ways.
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    # Hyphens and dashes of every width.
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
}
# Punctuation to fold, one character for one; found by a regex rather than str.translate,
# which looks every non-ASCII character up in a dict (a Cyrillic text costs 10x more).
_PUNCT = re.compile("[" + "".join(_FOLD) + "]")
# Invisible characters (soft hyphen, zero-width space and joiners, BOM) disappear.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]+")
# Any whitespace but a single plain space (runs from reflow, CRLF, NBSP, tabs) becomes one
# space. Single spaces, by far the most common, are not even matched.
_GAPS = re.compile(r"\s{2,}|[^\S ]")


class _GapMap(Sequence[int]):
    """Folded offset -> original offset where each gap (a run squeezed to one space) is
    known by its place, so that building it costs one step per gap, not per character."""

    def __init__(self, spans: list[tuple[int, int]], length: int) -> None:
        self.spans = spans
        self.starts = [s for s, _ in spans]
        # Where each gap's single space sits in the folded text.
        removed = itertools.accumulate((e - s - 1 for s, e in spans), initial=0)
        self.folded = [s - r for (s, _), r in zip(spans, removed, strict=False)]  # pragma: no mutate (equivalent: equal lengths)  # noqa: E501  # fmt: skip
        self.length = length - sum(e - s - 1 for s, e in spans) + 1

    def __len__(self) -> int:
        return self.length

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[int]: ...
    def __getitem__(self, i: int | slice) -> int | Sequence[int]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.length))]
        if i < 0:
            i += self.length
        if not 0 <= i < self.length:
            raise IndexError(i)
        g = bisect.bisect_right(self.folded, i) - 1
        if g < 0:
            return i
        start, end = self.spans[g]
        return start if i == self.folded[g] else end + (i - self.folded[g] - 1)

    def folded_at(self, offset: int) -> int:
        """The first folded offset whose original offset is at or after `offset`."""
        g = bisect.bisect_right(self.starts, offset) - 1
        if g < 0:
            return offset
        start, end = self.spans[g]
        if offset == start:
            return self.folded[g]
        if offset < end:  # pragma: no mutate (equivalent: == end gives the same)
            return self.folded[g] + 1
        return self.folded[g] + 1 + (offset - end)


def _squeeze(text: str, pattern: re.Pattern[str], by: str) -> tuple[str, Sequence[int]]:
    # Replace each match of `pattern` by `by` (one space or nothing), keeping the map back.
    spans = [m.span() for m in pattern.finditer(text)]
    if not spans:
        return text, range(len(text) + 1)
    squeezed = pattern.sub(by, text)
    if by:
        return squeezed, _GapMap(spans, len(text))
    index: list[int] = []  # invisible characters are rare: a plain list will do
    prev = 0
    for start, end in spans:
        index.extend(range(prev, start))
        prev = end
    index.extend(range(prev, len(text) + 1))  # pragma: no mutate (equivalent: unread entry)
    return squeezed, index


@functools.lru_cache(maxsize=32)
def normalise(text: str) -> tuple[str, Sequence[int]]:
    """A folded copy of `text` for matching and, per folded character, its index in `text`.

    The map has one extra entry, `len(text)`, so a folded end offset maps back too.
    """
    folded = _PUNCT.sub(lambda m: _FOLD[m.group()], text)
    lower = folded.lower()
    if len(lower) == len(folded):
        folded = lower
    else:  # a few characters lower-case to two (İ): keep those as they are
        folded = "".join(c if len(c.lower()) != 1 else c.lower() for c in folded)
    visible, first = _squeeze(folded, _INVISIBLE, "")
    folded, index = _squeeze(visible, _GAPS, " ")
    if isinstance(first, range):
        return folded, index
    return folded, [first[i] for i in index]


def to_folded(index: Sequence[int], offset: int) -> int:
    """The folded offset of an original one (the first folded character at or after it)."""
    if isinstance(index, _GapMap):
        return index.folded_at(offset)
    return bisect.bisect_left(index, offset)


def _fold(s: str) -> str:
    return normalise(s)[0]


def _peq(pattern: str) -> dict[str, int]:
    # Myers' "Peq" table: for each character, the bit set of pattern positions holding it.
    peq: dict[str, int] = {}
    bit = 1
    for c in pattern:
        peq[c] = peq.get(c, 0) | bit
        bit <<= 1
    return peq


def search_ends(
    pattern: str, text: str, max_errors: int, peq: dict[str, int] | None = None
) -> list[tuple[int, int]]:
    """Myers' bit-parallel approximate search: `(end, errors)` for every end offset in `text`
    where some substring ending there is within `max_errors` edits of `pattern`."""
    m = len(pattern)
    if m == 0:
        return []
    peq = peq or _peq(pattern)
    mask = (1 << m) - 1  # pragma: no mutate (equivalent: bits above m never flow down)
    last = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    found: list[tuple[int, int]] = []
    get = peq.get
    for j, c in enumerate(text, 1):
        eq = get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        # `^ mask` is `~` within the pattern's bits; a stray carry above them is cut off
        # below by `& mask` (pv) or by `xv`, which has no bits there (mv).
        ph = mv | ((xh | pv) ^ mask)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        # Search, not global distance: row 0 stays 0, so nothing is shifted into ph.
        ph <<= 1
        pv = ((mh << 1) | ((xv | ph) ^ mask)) & mask
        mv = ph & xv
        if score <= max_errors:
            found.append((j, score))
    return found


def prefix_distances(pattern: str, text: str, peq: dict[str, int] | None = None) -> list[int]:
    """Edit distance between `pattern` and each prefix `text[:j]`, for j = 0..len(text)."""
    m = len(pattern)
    if m == 0:
        return list(range(len(text) + 1))
    peq = peq or _peq(pattern)
    mask = (1 << m) - 1  # pragma: no mutate (equivalent: bits above m never flow down)
    last = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    out = [m]
    get = peq.get
    for c in text:
        eq = get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | ((xh | pv) ^ mask)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        # Global start: row 0 grows by one per text character, shifted in as a +1.
        ph = (ph << 1) | 1
        pv = ((mh << 1) | ((xv | ph) ^ mask)) & mask
        mv = ph & xv
        out.append(score)
    return out


def _best_length(distances: list[int], want: int) -> tuple[int, int]:
    # The length with the fewest errors; between equals, the one closest to the quote's length.
    best = min(distances)
    length = min(
        (n for n, d in enumerate(distances) if d == best), key=lambda n: (abs(n - want), -n)
    )
    return length, best


def _context_similarity(stored: str, actual: str, near_end: bool) -> float:
    """How well stored context agrees with the text beside a candidate, 0..1.

    The side touching the quote is pinned, the far side is free (context further away may have
    been cut or grown). Unrelated text of the same length is about half wrong, so half wrong
    counts as no agreement at all.
    """
    if not stored:
        return 1.0 if not actual else 0.5  # nothing was recorded on this side: no evidence
    if near_end:  # prefix: pinned at its end, compare backwards
        stored, actual = stored[::-1], actual[::-1]
    _, errors = _best_length(prefix_distances(stored, actual), len(stored))
    return max(0.0, 1.0 - 2.0 * errors / len(stored))


@dataclass(frozen=True)
class _Candidate:
    start: int  # in the original text
    end: int
    errors: int
    score: float


_NONE = _Candidate(0, 0, 0, -1.0)


def _key(c: _Candidate) -> float:
    return c.score


class _Scorer:
    """Scores candidate passages (in folded offsets) for one anchor in one text."""

    def __init__(self, text: str, anchor: Anchor) -> None:
        self.text = text
        self.anchor = anchor
        self.folded, self.index = normalise(text)
        self.quote = _fold(anchor.exact)
        self.prefix = _fold(anchor.prefix)
        self.suffix = _fold(anchor.suffix)
        self.peq = _peq(self.quote)  # pragma: no mutate (speed only: None is rebuilt)
        self.rpeq = _peq(self.quote[::-1])  # pragma: no mutate (speed only: None is rebuilt)

    def original_span(self, fs: int, fe: int) -> tuple[int, int]:
        start, end = self.index[fs], self.index[fe - 1] + 1
        exact = self.anchor.exact
        if self.text[start:end] != exact:
            # Folding can shift a boundary inside a run of spaces: prefer the quote verbatim
            # when it is right there (the copy nearest the span's start, the earlier of two
            # as near: a copy further back may be another one).
            lo, hi = max(0, start - 4), end + 4
            near = [at for at in range(lo, hi - len(exact) + 1) if self.text.startswith(exact, at)]
            if near:
                at = min(near, key=lambda at: (abs(at - start), at))
                return at, at + len(exact)
        return start, end

    def score(self, fs: int, fe: int, errors: int) -> _Candidate:
        start, end = self.original_span(fs, fe)
        slack = CONTEXT_CHARS // 2
        lp, ls = len(self.prefix), len(self.suffix)
        before = self.folded[max(0, fs - lp - slack) : fs]
        after = self.folded[fe : fe + ls + slack]
        p = _context_similarity(self.prefix, before, near_end=True)
        s = _context_similarity(self.suffix, after, near_end=False)
        q = 1.0 - errors / len(self.quote)
        pos = 1.0 - min(1.0, abs(start - self.anchor.start) / max(len(self.text), 1))
        total = (_W_QUOTE * q + _W_PREFIX * p + _W_SUFFIX * s + _W_POS * pos) / _W_ALL
        return _Candidate(start, end, errors, total)

    def approximate(self, lo: int, hi: int, max_errors: int) -> list[_Candidate]:
        """The best approximate matches of the quote within folded `[lo, hi)`, scored."""
        m = len(self.quote)
        ends = search_ends(self.quote, self.folded[lo:hi], max_errors, self.peq)
        # One candidate per run of consecutive end offsets: the ends around one match.
        runs: list[tuple[int, int]] = []
        prev = -2  # pragma: no mutate (equivalent: only read once `runs` has one, after it is set)
        for j, errors in ends:
            if runs and j == prev + 1:
                if errors < runs[-1][1]:
                    runs[-1] = (j, errors)
            else:
                runs.append((j, errors))
            prev = j
        runs.sort(key=lambda r: r[1])
        found = []
        for j, _ in runs[:MAX_CANDIDATES]:
            end = lo + j
            # The start: align the quote backwards from the end, pinned there.
            window = self.folded[max(0, end - m - max_errors) : end]
            length, errors = _best_length(
                prefix_distances(self.quote[::-1], window[::-1], self.rpeq), m
            )
            if length:
                found.append(self.pinned(end - length, end, errors, max_errors))
        return found

    def pinned(self, fs: int, fe: int, errors: int, max_errors: int) -> _Candidate:
        """Score a span, first moving a boundary to where an exact piece of context says it
        is: an edit at the quote's edge leaves several alignments equally good, and the
        context tells which one is the quote's own."""
        best = self.score(fs, fe, errors)
        reach = max_errors + SEED_CHARS
        probe = self.prefix[-SEED_CHARS:]
        if len(probe.strip()) >= 4:
            at = self.folded.rfind(probe, max(0, fs - reach), fs + reach)
            if at >= 0 and at + len(probe) != fs and at + len(probe) < fe:
                moved = self._rescored(at + len(probe), fe, max_errors)
                intact = self.folded[fs : fs + 1] == self.quote[:1]
                if not (intact and self._inserted(moved, best, fs - (at + len(probe)))):
                    best = max(best, moved, key=_key)
                fs = self.to_folded(best.start)
        probe = self.suffix[:SEED_CHARS]
        if len(probe.strip()) >= 4:
            at = self.folded.find(probe, max(fs + 1, fe - reach), fe + reach)
            if at >= 0 and at != fe:
                moved = self._rescored(fs, at, max_errors)
                intact = self.folded[fe - 1 : fe] == self.quote[-1:]
                if not (intact and self._inserted(moved, best, at - fe)):
                    best = max(best, moved, key=_key)
        return best

    @staticmethod
    def _inserted(moved: _Candidate, before: _Candidate, grown: int) -> bool:
        # Whether a boundary moved out by `grown` characters past an intact edge of the quote
        # took in only text inserted there (one more error for each character): that text is
        # not the quote's, even though its context now touches the span.
        return grown > 0 and moved.errors - before.errors >= grown

    def _rescored(self, fs: int, fe: int, max_errors: int) -> _Candidate:
        errors = prefix_distances(self.quote, self.folded[fs:fe], self.peq)[-1]
        return self.score(fs, fe, errors) if errors <= max_errors else _NONE

    def to_folded(self, offset: int) -> int:
        return to_folded(self.index, offset)


def _best(cands: list[_Candidate], anchor: Anchor) -> _Candidate:
    return max(cands, key=lambda c: (c.score, -abs(c.start - anchor.start), -c.start))


SNAP_CHARS = 20
"""How far an approximate match's end may move to the edge of the word it cuts."""


def _inside_word(text: str, at: int) -> bool:
    return 0 < at < len(text) and text[at - 1].isalnum() and text[at].isalnum()


def _snapped(text: str, at: int, step: int, context: str) -> int:
    """`at`, moved by `step` (-1 or 1) to the edge of the word it cuts, if that is near, but
    not over letters of that word that are the end of the `context` on that side (the prefix,
    or the suffix): an edit joined them to the quote ("on the" -> "onthe"), also by taking
    out the space between them ("xy the" -> "xthe": the suffix's first word, after its
    space)."""
    moved = at
    while _inside_word(text, moved) and abs(moved - at) < SNAP_CHARS:
        moved += step
    if _inside_word(text, moved):
        return at
    near = context.rstrip() if step < 0 else context.lstrip()
    for p in range(at, moved, step):
        if near.endswith(text[moved:p]) if step < 0 else near.startswith(text[p:moved]):
            return p
    return moved


def _takes_in_quote(exact: str, text: str, span: tuple[int, int], grown: tuple[int, int]) -> bool:
    """Whether `grown`, `span` with a boundary moved out, took in some of the quote rather than
    only text inserted beside an intact edge of it (which costs one more edit per character):
    "weapons. Zulu yankee" is not the quote "weapons.", but "Phnewse" may be "Phase"."""
    if grown[0] < span[0] and text[span[0] : span[0] + 1] != exact[:1]:
        return True  # the quote's first character was edited: the new text may replace it
    if grown[1] > span[1] and text[span[1] - 1 : span[1]] != exact[-1:]:
        return True
    before = prefix_distances(exact, text[span[0] : span[1]])[-1]
    after = prefix_distances(exact, text[grown[0] : grown[1]])[-1]
    return after - before < (grown[1] - grown[0]) - (span[1] - span[0])


def _placement(c: _Candidate, anchor: Anchor, text: str) -> Placement:
    start, end = c.start, c.end
    if c.errors:
        # An approximate match may stop short where the edit touched the quote's first or
        # last word ("…from each r"): it reaches on to where its context still begins, if that
        # is within the edits allowed, and otherwise to the edge of the word it cuts, where
        # the quote began and ended at word edges.
        longest = len(anchor.exact) + max(1, int(len(anchor.exact) * MAX_ERROR_RATE))
        tail, head = anchor.suffix[:SEED_CHARS], anchor.prefix[-SEED_CHARS:]
        # Nor does it reach into its context where that is intact: when the prefix's last
        # characters straddle its start (the suffix's first its end), it begins after them
        # (ends before them): "from the baijani" is the quote " Azerbaijani" after "from the".
        over = text.find(head, max(0, start - len(head) + 1))  # an empty head: start + 1
        if 0 <= over < start and over + len(head) < end:
            start = over + len(head)
        over = text.rfind(tail, 0, end + len(tail) - 1)  # an empty tail: end - 1
        if over > max(start, end - len(tail)):
            end = over
        found = text.find(tail, end, start + longest + len(tail)) if tail else -1
        if found > end and _takes_in_quote(anchor.exact, text, (start, end), (start, found)):
            end = found
        elif not _inside_word(anchor.exact[-1:] + anchor.suffix[:1], 1):
            end = _snapped(text, end, 1, anchor.suffix)
        found = text.rfind(head, max(0, end - longest - len(head)), start) if head else -1
        if (
            found >= 0
            and found + len(head) < start
            and _takes_in_quote(anchor.exact, text, (start, end), (found + len(head), end))
        ):
            start = found + len(head)
        elif not _inside_word(anchor.prefix[-1:] + anchor.exact[:1], 1):
            start = _snapped(text, start, -1, anchor.prefix)
    same = (start, end) == (anchor.start, anchor.end) and text[start:end] == anchor.exact
    return Placement("exact" if same else "moved", start, end, round(c.score, 4), c.errors)


def _occurrences(haystack: str, needle: str, limit: int) -> list[int]:
    found: list[int] = []
    at = haystack.find(needle)
    while at >= 0 and len(found) < limit:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def _verbatim(text: str, anchor: Anchor) -> Placement | None:
    """The quote verbatim with its whole context verbatim: the common case of text added, cut
    or moved elsewhere in the document, answered without folding the text."""
    exact, prefix, suffix = anchor.exact, anchor.prefix, anchor.suffix
    if not prefix and not suffix:
        return None
    hits = [
        at
        for at in _occurrences(text, exact, 1000)
        if text.endswith(prefix, 0, at)
        and text[at + len(exact) : at + len(exact) + len(suffix)] == suffix
    ]
    if not hits:
        return None
    at = min(hits, key=lambda h: abs(h - anchor.start))
    pos = 1.0 - min(1.0, abs(at - anchor.start) / max(len(text), 1))
    score = (_W_QUOTE + _W_PREFIX + _W_SUFFIX + _W_POS * pos) / _W_ALL
    # Not mutated (equivalent): "exact" is unreachable here, `locate` answered that case.
    status: Status = "exact" if at == anchor.start else "moved"  # pragma: no mutate
    return Placement(status, at, at + len(exact), round(score, 4))


def _hints(sc: _Scorer, old: int, piece: int) -> list[tuple[int, int]]:
    """Folded offsets where the quote may start, as `(offset, votes)`: its old place, and
    wherever an exact piece of the quote or of its context is found now (seed and extend, as
    BLAST does). Pieces that agree on a place vote for it."""
    m = len(sc.quote)
    probes: list[tuple[str, int]] = []  # (piece, quote start relative to the piece's start)
    for at in range(0, m - piece + 1, piece):
        probes.append((sc.quote[at : at + piece], -at))
    for back in range(len(sc.prefix), 0, -piece):
        if back >= piece:
            probes.append((sc.prefix[back - piece : back], len(sc.prefix) - back + piece))
    for at in range(0, len(sc.suffix) - piece + 1, piece):
        probes.append((sc.suffix[at : at + piece], -(m + at)))
    votes: dict[int, int] = {old: MIN_VOTES}  # the old place is always searched
    for needle, delta in probes:
        if needle.strip():
            for hit in _occurrences(sc.folded, needle, MAX_SEED_HITS):
                votes[hit + delta] = votes.get(hit + delta, 0) + 1
    return sorted(votes.items())


def locate(text: str, anchor: Anchor) -> Placement:
    """Find where an anchor's quote is in `text` now: exact, moved or orphaned.

    In order: the quote at its offsets; the quote verbatim elsewhere (context decides between
    repeats, then nearness); the quote with up to 25% edits (Myers) where its old place or an
    exact piece of it or of its context points. Candidates below `MIN_SCORE` are not placed.
    """
    start, end, exact = anchor.start, anchor.end, anchor.exact
    here = text[start:end] == exact
    if here and context(text, start, end, len(anchor.prefix))[0] == anchor.prefix:
        if text[end : end + len(anchor.suffix)] == anchor.suffix:
            return Placement("exact", start, end, 1.0)
    found = _verbatim(text, anchor)
    if found is not None:
        return found
    sc = _Scorer(text, anchor)
    quote = sc.quote
    if not quote.strip():
        # Nothing but spaces: there is nothing to recognise it by elsewhere.
        return Placement("exact", start, end, 1.0) if here else Placement("orphaned", None, None, 0)

    # 1. The quote verbatim after folding: context decides between repeats (a pull quote).
    cands = [sc.score(at, at + len(quote), 0) for at in _occurrences(sc.folded, quote, 1000)]
    if here and not any(c.start == start and c.end == end for c in cands):
        cands.append(sc.score(sc.to_folded(start), sc.to_folded(end), 0))
    if len(cands) == 1 and len(quote.strip()) >= DISTINCT_CHARS:
        # One verbatim copy of a long quote is evidence enough even where both neighbours
        # changed (a whole paragraph moved): it scores as if half its context agreed.
        only = cands[0]
        cands = [replace(only, score=max(only.score, _DISTINCT_SCORE))]
    if cands and (best := _best(cands, anchor)).score >= SURE_SCORE:
        return _placement(best, anchor, text)

    # 2. Approximately, in windows around the hints (merged where they overlap).
    m = len(quote)
    max_errors = max(1, int(m * MAX_ERROR_RATE))
    piece = min(SEED_CHARS, max(3, m // 4))
    pad = max_errors + piece
    # Hints no further apart than the edits allowed point to one place: its votes add up.
    places: list[list[int]] = []  # [first hint, last hint, votes]
    for hint, votes in _hints(sc, sc.to_folded(start), piece):
        if places and hint - places[-1][1] <= max_errors:
            places[-1][1] = hint
            places[-1][2] += votes
        else:
            places.append([hint, hint, votes])
    # The best-supported places first, each on its own: once one holds a sure match, the
    # others cannot beat it on context (an edit in place is the common case).
    places.sort(key=lambda p: -p[2])
    windows = [
        (max(0, first - pad), min(len(sc.folded), last + m + pad))
        for first, last, votes in places
        if votes >= MIN_VOTES
    ]
    for lo, hi in windows[:FIRST_PLACES]:
        cands += sc.approximate(lo, hi, max_errors)
        if cands and (best := _best(cands, anchor)).score >= SURE_SCORE:
            return _placement(best, anchor, text)
    # Then all of them, overlapping windows merged so that no text is searched twice.
    merged: list[list[int]] = []
    for lo, hi in sorted(windows[FIRST_PLACES:]):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    for lo, hi in merged:
        cands += sc.approximate(lo, hi, max_errors)
    if cands:
        best = _best(cands, anchor)
        if best.score >= MIN_SCORE:
            return _placement(best, anchor, text)
        return Placement("orphaned", best.start, best.end, round(best.score, 4), best.errors)
    return Placement("orphaned", None, None, 0.0)


def relocated(doc: str, text: str, anchor: Anchor, placement: Placement) -> Anchor:
    """The anchor as it should be stored after `placement`: at its place with fresh quote and
    context, or kept where it was with `orphaned: true`."""
    if placement.placed and placement.start is not None and placement.end is not None:
        return make_anchor(doc, text, placement.start, placement.end)
    return anchor.model_copy(update={"orphaned": True})


def edited_in_place(anchor: Anchor, placement: Placement) -> bool:
    """Whether a placement is the quote edited where it was (a typo fixed or made): found
    starting at its old offset, with other text. It is not a move: the text before it is as
    long as it was, only the quote's own text changed."""
    # A placement at the old start with the old text is `exact`, never `moved`.
    return placement.status == "moved" and placement.start == anchor.start


def edit_count(errors: int) -> str:
    """How much a placed quote differs from the stored one, in words: `1 edit`, `3 edits`;
    `white space or typography only` when it differs only in what matching folds."""
    if errors == 0:
        return "white space or typography only"
    return f"{errors} edit" if errors == 1 else f"{errors} edits"


def shown_score(placement: Placement) -> str:
    """The score with two decimals, rounded down unless the quote is verbatim: one typo in a
    long quote scores 0.995, which rounded to "1.00", a perfect score for changed text."""
    if placement.errors == 0:
        return f"{placement.score:.2f}"
    return f"{math.floor(placement.score * 100) / 100:.2f}"


def changed_part(old: str, new: str, around: int = 20) -> tuple[str, str]:
    """What differs between two versions of a quote, with up to `around` characters either
    side (`…` where cut): `'…announced in February that…'`, `'…announced in Februery that…'`."""
    head = len(os.path.commonprefix([old, new]))
    tail = min(len(os.path.commonprefix([old[::-1], new[::-1]])), len(old) - head, len(new) - head)
    lo = max(0, head - around)

    def cut(s: str) -> str:
        hi = min(len(s), len(s) - tail + around)
        return ("…" if lo > 0 else "") + s[lo:hi] + ("…" if hi < len(s) else "")

    return cut(old), cut(new)
