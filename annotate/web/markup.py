"""Text with its claims marked, and passages similar to a claim. Pure functions, no Flask."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from ..record.anchoring import locate
from ..record.models import Anchor, Claim
from ..record.store import Mark, Summary


@dataclass(frozen=True)
class Span:
    """One appearance of a claim in the text being rendered."""

    start: int
    end: int
    claim: str
    verdict: str
    label: str
    index: int
    drifted: bool = False


def spans_for(
    doc_id: str, claims: Iterable[Claim | Summary], text: str | None = None
) -> tuple[list[Span], list[tuple[Claim | Summary, int, Anchor | Mark]]]:
    """The appearances of `claims` in one document, and those that lost their place.

    With `text`, an appearance whose quote is no longer at its offsets (the document was
    edited and `annotate reanchor` has not run yet) is shown where its quote is now, marked
    as drifted; one that cannot be found is listed with the orphans.
    """
    out: list[Span] = []
    lost: list[tuple[Claim | Summary, int, Anchor | Mark]] = []
    for c in claims:
        appearances: Sequence[Anchor | Mark] = c.appearances
        for i, a in enumerate(appearances):
            if a.doc != doc_id:
                continue
            if a.orphaned or (isinstance(a, Mark) and text is not None and not a.matches(text)):
                lost.append((c, i, a))
                continue
            label = f"{c.statement} ({c.status})"
            if isinstance(a, Mark):
                out.append(Span(a.start, a.end, c.id, c.status, label, i))
                continue
            if text is None or text[a.start : a.end] == a.exact:
                out.append(Span(a.start, a.end, c.id, c.status, label, i))
                continue
            placement = locate(text, a)
            if placement.placed and placement.start is not None and placement.end is not None:
                out.append(
                    Span(
                        placement.start,
                        placement.end,
                        c.id,
                        c.status,
                        label + " (moved since it was anchored)",
                        i,
                        drifted=True,
                    )
                )
            else:
                lost.append((c, i, a))
    return out, lost


def _text(segment: str) -> str:
    """HTML-escaped text, as markupsafe's `escape` gives it, in C-level passes (the busiest
    page has a thousand pieces; `Markup` objects per piece cost more than the escaping).

    A literal CR would be folded into LF by the HTML parser and shift every offset after it;
    a character reference survives, so the page's text stays the stored text.
    """
    return (
        segment.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
        .replace("\r", "&#13;")
    )


def marked_html(text: str, spans: list[Span]) -> Markup:
    """The text, HTML-escaped, with each appearance wrapped in `<mark data-claim data-verdict>`.

    Overlapping appearances are split at every boundary and nested, so each character is
    inside one mark per claim that covers it. The first piece of an appearance carries an
    `id` (`a-CLAIM-INDEX`) to link to.
    """
    n = len(text)
    spans = [s for s in spans if 0 <= s.start < s.end <= n]
    if not spans:
        return Markup(_text(text))
    cuts = sorted({0, n, *(s.start for s in spans), *(s.end for s in spans)})
    by_start: dict[int, list[Span]] = {}
    for s in spans:
        by_start.setdefault(s.start, []).append(s)
    active: list[Span] = []
    parts: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        active = [s for s in active if s.end > a]
        starting = by_start.get(a, [])
        active.extend(starting)
        piece = _text(text[a:b])
        if not active:
            parts.append(piece)
            continue
        opened = []
        for s in sorted(active, key=lambda s: (s.start, -s.end, s.claim, s.index)):
            ident = f' id="a-{s.claim}-{s.index}"' if s.start == a else ""
            first = " first" if s.start == a else ""
            first += " drifted" if s.drifted else ""
            opened.append(
                f'<mark{ident} class="v-{s.verdict}{first}" data-claim="{s.claim}" '
                f'data-verdict="{s.verdict}" data-index="{s.index}" '
                f'title="{_text(s.label)}">'
            )
        parts.append("".join(opened) + piece + "</mark>" * len(opened))
    return Markup("".join(parts))


# -- similar passages ----------------------------------------------------------------------

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
    """A passage that may be another appearance of a claim, with its similarity (0..1)."""

    passage: Passage
    score: float


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
