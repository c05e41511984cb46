"""Passages similar to a claim: a TF-IDF index of the corpus's sentences, and which of them
say the same thing or its opposite (`polarity`). Pure, no Flask."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .models import Claim
from .polarity import claimed, relation

STOPWORDS = frozenset(
    """a an the and or but of to in on at by for with from as is are was were be been being
    that this these those it its he she they them his her their we our you your i not no
    have has had do does did will would can could should may might than then there here
    which who whom what when where why how also said says say about after before during
    into over under up down out if so such only very all any each other more most some""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^\n.!?]+(?:[.!?]+[\"”’)]*|$)", re.UNICODE)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Content words of a text, lower-cased and crudely stemmed, for similarity."""
    return [
        _stem(w)
        for w in (m.group(0).lower() for m in _WORD.finditer(text))
        if w not in STOPWORDS and len(w) > 1
    ]


@dataclass(frozen=True)
class Passage:
    """A sentence of a document, with its offsets."""

    doc: str
    start: int
    end: int
    text: str


def sentences(doc_id: str, text: str) -> list[Passage]:
    """The sentences of a text with their offsets (leading and trailing space trimmed)."""
    out = []
    for m in _SENTENCE.finditer(text):
        raw = m.group(0)
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        if len(body) >= 20:
            start = m.start() + lead
            out.append(Passage(doc_id, start, start + len(body), body))
    return out


@dataclass(frozen=True)
class Suggestion:
    """A passage that may be another appearance of a claim (or, in `Suggestions.refuting`,
    may say its opposite), with its similarity (0..1) and why (see `polarity.relation`;
    None when the passage has none of the claim's focus words)."""

    passage: Passage
    score: float
    reason: str | None = None


@dataclass(frozen=True)
class Suggestions:
    """Passages like a claim, in two lists: those that say the same thing (candidate
    appearances) and those that say its opposite (candidate refuting sources)."""

    appearances: list[Suggestion]
    refuting: list[Suggestion]


class _Index:
    def __init__(self, docs: tuple[tuple[str, str], ...]) -> None:
        self.passages = [p for doc_id, text in docs for p in sentences(doc_id, text)]
        self.vectors = [Counter(tokens(p.text)) for p in self.passages]
        df: Counter[str] = Counter()
        for v in self.vectors:
            df.update(v.keys())
        n = len(self.passages) or 1
        self.idf = {w: math.log((1 + n) / (1 + d)) + 1 for w, d in df.items()}
        self.norms = [self._norm(v) for v in self.vectors]

    def _norm(self, v: Counter[str]) -> float:
        return math.sqrt(sum((c * self.idf.get(w, 1.0)) ** 2 for w, c in v.items())) or 1.0

    def search(self, query: str) -> list[tuple[int, float]]:
        q = Counter(tokens(query))
        qn = self._norm(q)
        scores = []
        for i, v in enumerate(self.vectors):
            dot = sum(c * v[w] * self.idf.get(w, 1.0) ** 2 for w, c in q.items() if w in v)
            if dot:
                scores.append((i, dot / (qn * self.norms[i])))
        return scores


@lru_cache(maxsize=4)
def _index(docs: tuple[tuple[str, str], ...]) -> _Index:
    return _Index(docs)


def similar_passages(
    docs: tuple[tuple[str, str], ...], claim: Claim, limit: int = 5, minimum: float = 0.25
) -> list[Suggestion]:
    """Sentences across the corpus most like a claim's statement and appearances.

    `docs` is `((id, text), ...)`; sentences overlapping an appearance are left out.
    """
    index = _index(docs)
    query = " ".join([claim.statement, *(a.exact for a in claim.appearances)])
    taken = [(a.doc, a.start, a.end) for a in claim.appearances]
    found = []
    for i, score in index.search(query):
        p = index.passages[i]
        if score < minimum:
            continue
        if any(d == p.doc and s < p.end and p.start < e for d, s, e in taken):
            continue
        found.append(Suggestion(p, round(score, 3)))
    found.sort(key=lambda s: (-s.score, s.passage.doc, s.passage.start))
    return found[:limit]


REFUTING_MINIMUM = 0.15
"""A passage that says the opposite of a claim shares its focus word (`polarity`) and can
share fewer of its other words than an appearance: it is offered from this similarity."""


def polar_passages(
    docs: tuple[tuple[str, str], ...],
    claim: Claim,
    limit: int = 5,
    minimum: float = 0.25,
    refuting_minimum: float = REFUTING_MINIMUM,
) -> Suggestions:
    """Sentences across the corpus like a claim (as `similar_passages` finds them), split by
    polarity (`polarity.relation`): those that say the same thing, or say neither, are
    candidate appearances (from a similarity of `minimum`); those that say the opposite,
    candidate refuting sources (from `refuting_minimum`). The `limit` best of each. Sentences
    overlapping an appearance or a quoted source of the claim are left out (already there)."""
    index = _index(docs)
    query = " ".join([claim.statement, *(a.exact for a in claim.appearances)])
    taken = [(a.doc, a.start, a.end) for _, a in claim.anchors()]
    focus = claimed(claim.statement)
    same: list[Suggestion] = []
    opposite: list[Suggestion] = []
    for i, score in index.search(query):
        p = index.passages[i]
        if score < min(minimum, refuting_minimum):
            continue
        if any(d == p.doc and s < p.end and p.start < e for d, s, e in taken):
            continue
        rel = relation(focus, p.text)
        found = Suggestion(p, round(score, 3), rel.reason or None if rel else None)
        if rel is not None and rel.opposite:
            if score >= refuting_minimum:
                opposite.append(found)
        elif score >= minimum:
            same.append(found)
    order = lambda s: (-s.score, s.passage.doc, s.passage.start)  # noqa: E731
    return Suggestions(sorted(same, key=order)[:limit], sorted(opposite, key=order)[:limit])


@dataclass(frozen=True)
class ClaimCandidate:
    """Another claim that may be linked to a claim: `repeats` when its statement says the
    same thing (or neither), `contradicts` when it says the opposite (`polarity.relation`),
    with its similarity (0..1) and why."""

    claim: str
    kind: str
    score: float
    reason: str | None = None


def related_claims(
    claim: Claim,
    others: Sequence[tuple[str, str, str]],
    limit: int = 5,
    minimum: float = 0.25,
    contradicting_minimum: float = REFUTING_MINIMUM,
) -> list[ClaimCandidate]:
    """The claims most like `claim` among `others` (`(id, statement, statement and
    appearances' quotes)`), as candidates for a relation: those whose statement says the
    opposite as `contradicts` (from `contradicting_minimum`), the rest as `repeats` (from
    `minimum`), the same way `polar_passages` splits passages. A claim is scored by its
    best sentence; the `limit` best of each kind, best first."""
    docs = tuple((cid, text) for cid, _statement, text in others if cid != claim.id)
    if not docs:
        return []
    index = _index(docs)
    query = " ".join([claim.statement, *(a.exact for a in claim.appearances)])
    best: dict[str, float] = {}
    for i, score in index.search(query):
        cid = index.passages[i].doc
        best[cid] = max(best.get(cid, 0.0), score)
    statements = {cid: statement for cid, statement, _ in others}
    focus = claimed(claim.statement)
    same: list[ClaimCandidate] = []
    opposite: list[ClaimCandidate] = []
    for cid, score in best.items():
        rel = relation(focus, statements[cid])
        if rel is not None and rel.opposite:
            if score >= contradicting_minimum:
                opposite.append(ClaimCandidate(cid, "contradicts", round(score, 3), rel.reason))
        elif score >= minimum:
            reason = rel.reason or None if rel else None
            same.append(ClaimCandidate(cid, "repeats", round(score, 3), reason))
    order = lambda c: (-c.score, c.claim)  # noqa: E731
    return sorted(same, key=order)[:limit] + sorted(opposite, key=order)[:limit]
