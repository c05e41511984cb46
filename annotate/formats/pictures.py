"""Publishable pictures of the record: the timeline (who said what, when) and the
who-says-what matrix (claimants × questions), as data (JSON), standalone SVG and PNG.

One builder (`picture_data`) gives what both the pages and the files show; `choose` picks the
claims a picture draws from the store's index and `draw` reads only those (at most
`MAX_DRAWN`); the SVG is written here by hand (no charting library: the picture is the
product, and a few rectangles, circles and lines need none). An SVG has no external
reference: presentation attributes only (no CSS, which the app's CSP would refuse inline),
generic font families, a `<title>` and `<desc>`, a caption, a legend and the sources (the
articles with outlet and date, the desk and the date of the export). Verdicts are coloured
and marked as the document page's highlights are (✓ confirmed, ✗ denied, ? disputed,
• unreviewed): colour is never the only cue.

PNG: the SVG rendered by resvg (`resvg-py`, an optional extra: `pip install
'annotate-factcheck[png]'`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar
from xml.sax.saxutils import escape, quoteattr

from ..errors import InvalidInput, NotFound, detail
from ..record.corpus import Corpus
from ..record.models import VERDICTS, Claim
from ..record.questions import Question, questions
from ..record.service import Workspace
from .common import ExportSettings

Kind = Literal["timeline", "matrix"]
KINDS: tuple[Kind, ...] = ("timeline", "matrix")
STATUSES = (*VERDICTS, "unreviewed")
PICTURE_FORMATS = ("svg", "png", "json")
PNG_EXTRA = "pip install 'annotate-factcheck[png]'"

# The page's colours (annotate/static/app.css): text colour, background, icon.
COLOURS: dict[str, tuple[str, str, str]] = {
    "confirmed": ("#0f5f26", "#d7f5dd", "✓"),
    "denied": ("#a1201a", "#fde0dc", "✗"),
    "disputed": ("#6b4200", "#fff0c2", "?"),
    "unreviewed": ("#3f4652", "#e8eaf0", "•"),
}
INK, MUTED, LINE, ACCENT = "#1b1f24", "#57606a", "#d0d7de", "#0b57d0"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def day(d: dt.date) -> str:
    """A date as a newsroom writes it: 26 Feb 2021."""
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


# -- the data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which claims a picture shows: one question (its id), one claimant, one verdict."""

    question: str | None = None
    claimant: str | None = None
    verdict: str | None = None

    def given(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass
class Shown:
    """One claim as a picture shows it."""

    id: str
    statement: str
    short: str
    claimant: str
    date: dt.date | None
    verdict: str
    question: str | None
    answer: str | None
    url: str
    documents: list[str]
    month: str | None = None
    """`2021-02`: the month the claim was made in, where the sources give no day."""

    @property
    def span(self) -> tuple[dt.date, dt.date] | None:
        """The days the claim was made within: its date, or the first and last of its
        month; None without either."""
        if self.date is not None:
            return self.date, self.date
        if self.month is None:
            return None
        year, number = (int(x) for x in self.month.split("-"))
        last = calendar.monthrange(year, number)[1]
        return dt.date(year, number, 1), dt.date(year, number, last)

    @property
    def when(self) -> dt.date | None:
        """Where the claim sorts in time: its date, or the middle of its month (so "in
        February" comes before 26 February and after 1 February... as a reader would
        guess: somewhere in the month)."""
        span = self.span
        if span is None:
            return None
        return span[0] + (span[1] - span[0]) / 2

    @property
    def iso(self) -> str:
        """The date (`2021-02-26`) or month (`2021-02`) as ISO 8601 writes it, or ''."""
        return self.date.isoformat() if self.date else (self.month or "")

    @property
    def said(self) -> str:
        """When, as a newsroom writes it: 26 Feb 2021, Feb 2021, or no date."""
        if self.date is not None:
            return day(self.date)
        if self.month is not None:
            year, number = self.month.split("-")
            return f"{MONTHS[int(number) - 1]} {year}"
        return "no date"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "short_statement": self.short,
            "claimant": self.claimant,
            "date": self.date.isoformat() if self.date else None,
            "month": self.month,
            "verdict": self.verdict,
            "question": self.question,
            "answer": self.answer,
            "url": self.url,
            "documents": self.documents,
        }


@dataclass
class Article:
    number: int
    id: str
    title: str
    outlet: str | None
    published: dt.date | None
    url: str

    def cited(self) -> str:
        said = ", ".join(
            x for x in (self.outlet, day(self.published) if self.published else None) if x
        )
        return f"[{self.number}] {self.title}" + (f" ({said})" if said else "")


@dataclass
class Asked:
    """A question as the pictures label it."""

    id: str
    name: str | None
    label: str
    problems: list[str]


@dataclass
class Cell:
    claimant: str
    question: str
    answer: str
    claims: list[Shown]


@dataclass
class Picture:
    """What a timeline or a matrix shows, and where it comes from."""

    kind: Kind
    title: str
    caption: str
    claims: list[Shown]
    articles: list[Article]
    questions: list[Asked]
    org_name: str
    base_url: str
    exported: dt.date
    filters: Filters
    cells: list[Cell] = field(default_factory=list)

    @property
    def dated(self) -> list[Shown]:
        return sorted((c for c in self.claims if c.when), key=lambda c: (c.when, c.claimant, c.id))

    @property
    def undated(self) -> list[Shown]:
        return [c for c in self.claims if c.when is None]

    def lanes(self) -> list[tuple[str, list[Shown]]]:
        """The claimants with dated claims, by their first claim's date (then name)."""
        by: dict[str, list[Shown]] = {}
        for c in self.dated:
            by.setdefault(c.claimant, []).append(c)
        return sorted(by.items(), key=lambda kv: (kv[1][0].when, kv[0].casefold()))

    def rows(self) -> list[str]:
        """The matrix's claimants, by their first dated claim, the undated after, by name."""
        first: dict[str, tuple[bool, str, str]] = {}
        for cell in self.cells:
            for c in cell.claims:
                when = c.when
                key = (when is None, when.isoformat() if when else "", c.claimant.casefold())
                first[c.claimant] = min(first.get(c.claimant, key), key)
        return sorted(first, key=lambda name: first[name])

    def cell(self, claimant: str, question: str) -> list[Cell]:
        return [c for c in self.cells if c.claimant == claimant and c.question == question]

    def source_line(self) -> str:
        return (
            f"Fact-check record: {self.org_name}, {self.base_url} · exported {day(self.exported)}"
        )

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "picture": self.kind,
            "title": self.title,
            "caption": self.caption,
            "source": {
                "desk": self.org_name,
                "url": self.base_url,
                "exported": self.exported.isoformat(),
                "filters": self.filters.given(),
            },
            "documents": [
                {
                    "number": a.number,
                    "id": a.id,
                    "title": a.title,
                    "outlet": a.outlet,
                    "published": a.published.isoformat() if a.published else None,
                    "url": a.url,
                }
                for a in self.articles
            ],
            "questions": [
                {"id": q.id, "name": q.name, "label": q.label, "problems": q.problems}
                for q in self.questions
            ],
            "claims": [c.json() for c in self.claims],
        }
        if self.kind == "matrix":
            out["cells"] = [
                {
                    "claimant": c.claimant,
                    "question": c.question,
                    "answer": c.answer,
                    "claims": [x.id for x in c.claims],
                }
                for c in self.cells
            ]
        return out


Linker = Callable[["Shown | Article"], str | None]
"""Where a claim's mark or an article's flag links to."""


def _public(item: Shown | Article) -> str:
    """The public address: a claim's review page, an article's own URL."""
    return item.url


def _short(claim: Claim) -> str:
    return claim.short_statement or claim.statement


def label_of(question: Question, by_id: Mapping[str, Claim]) -> str:
    """A question's name, or for an unnamed one its first claim's short statement."""
    if question.name:
        return question.name
    return f"“{_short(by_id[question.id])}”"


MAX_DRAWN = 1_000
"""The most claims a timeline or a matrix draws. More is no picture a reader can read (at
930 claims of one claimant the timeline is already a wall of stacked markers, a line for
each article, a page of 3 MB), and it costs the server in proportion: 1,893 claims took
1.3 s, a page of 5.8 MB and a peak of 285 MB, near issue #18's 300; every claim of 100,000
took 53 s, 132 MB of HTML and 2.5 GB (docs/performance.md). Beyond it, the pages say how many claims
the filters leave and ask for a question, a claimant or a verdict; the files and `annotate
picture` refuse (`TooManyToDraw`)."""


class TooManyToDraw(InvalidInput):
    """The filters leave more claims than a picture draws (`MAX_DRAWN`)."""

    def __init__(self, kind: Kind, count: int) -> None:
        super().__init__(
            f"{count} claims match these filters: the {kind} draws at most {MAX_DRAWN}; "
            "choose a question, a claimant or a verdict to narrow it",
            [detail("filters", f"{count} claims, more than the {MAX_DRAWN} a picture draws")],
        )
        self.count = count


class _Filtered(Protocol):
    """What the filters look at: a claim, or its summary in the store's index."""

    @property
    def id(self) -> str: ...
    @property
    def claimant(self) -> str: ...
    @property
    def status(self) -> str: ...


def _checked(filters: Filters, found: list[Question]) -> None:
    """:raise InvalidInput: an unknown verdict. :raise NotFound: an unknown question."""
    if filters.verdict and filters.verdict not in STATUSES:
        raise InvalidInput(
            f"verdict: '{filters.verdict}' is not one of {', '.join(STATUSES)}",
            [detail("verdict", "unknown verdict")],
        )
    if filters.question and not any(q.id == filters.question for q in found):
        raise NotFound(
            f"no question '{filters.question}': a question is named by the id of a claim in it "
            "(see the matrix or the JSON export)"
        )


def _answers(found: list[Question]) -> dict[str, tuple[str, str]]:
    """Each claim in a question: that question's id and the claim's answer."""
    return {cid: (q.id, a) for q in found for cid, a in q.answers.items()}


_F = TypeVar("_F", bound=_Filtered)


def _chosen(
    kind: Kind, claims: Iterable[_F], filters: Filters, answer_of: dict[str, tuple[str, str]]
) -> list[_F]:
    """The claims the `kind` of picture shows with `filters`, in the order given."""
    chosen: list[_F] = []
    for c in claims:
        if filters.claimant and c.claimant != filters.claimant:
            continue
        if filters.verdict and c.status != filters.verdict:
            continue
        if filters.question and answer_of.get(c.id, ("",))[0] != filters.question:
            continue
        if kind == "matrix" and c.id not in answer_of:
            continue
        chosen.append(c)
    return chosen


@dataclass
class Choice:
    """Which claims a picture of the record draws, chosen from the store's index (its
    summaries have each claim's relations and question name): no claim file read."""

    kind: Kind
    filters: Filters
    questions: list[Question]
    """Every question of the record, as the reader may see it."""
    chosen: list[str]
    """The ids of the claims the picture draws, by id."""
    claimants: list[str]
    """Every claimant of the record, by name (any letter case)."""

    @property
    def limit(self) -> int:
        """The most claims a picture draws (`MAX_DRAWN`)."""
        return MAX_DRAWN

    @property
    def too_many(self) -> bool:
        """Whether the filters leave more claims than a picture draws (`MAX_DRAWN`)."""
        return len(self.chosen) > self.limit


def choose(kind: Kind, ws: Workspace, filters: Filters = Filters()) -> Choice:
    """The claims the `kind` of picture draws with `filters`, as `ws`'s reader may see them
    (blind review), from the index. :raise NotFound: an unknown question. :raise
    InvalidInput: an unknown verdict."""
    summaries = sorted(ws.find(), key=lambda s: s.id)
    found = ws.questions()
    _checked(filters, found)
    chosen = _chosen(kind, summaries, filters, _answers(found))
    claimants = sorted({s.claimant for s in summaries}, key=str.casefold)
    return Choice(kind, filters, found, [s.id for s in chosen], claimants)


def question_labels(ws: Workspace, found: list[Question]) -> list[tuple[str, str]]:
    """Each question's id and label, reading only the claims rooting the unnamed ones."""
    roots = ws.claims_named([q.id for q in found if not q.name])
    return [(q.id, label_of(q, roots)) for q in found if q.name or q.id in roots]


def draw(
    choice: Choice,
    ws: Workspace,
    settings: ExportSettings,
    today: dt.date | None = None,
) -> Picture:
    """The picture `choice` makes, reading in full only the claims it draws (and the claims
    rooting the unnamed questions it labels). :raise TooManyToDraw: beyond `MAX_DRAWN`."""
    if choice.too_many:
        raise TooManyToDraw(choice.kind, len(choice.chosen))
    answer_of = _answers(choice.questions)
    used = {answer_of[c][0] for c in choice.chosen if c in answer_of}
    if choice.filters.question:
        used.add(choice.filters.question)
    roots = [q.id for q in choice.questions if q.id in used and not q.name]
    claims = ws.claims_named(sorted({*choice.chosen, *roots}))
    return picture_data(
        choice.kind,
        list(claims.values()),
        ws.corpus,
        settings,
        choice.filters,
        today,
        choice.questions,
    )


def picture_data(
    kind: Kind,
    claims: Sequence[Claim],
    corpus: Corpus,
    settings: ExportSettings,
    filters: Filters = Filters(),
    today: dt.date | None = None,
    found: list[Question] | None = None,
) -> Picture:
    """What the `kind` of picture shows of `claims` (as the reader may see them, by id) with
    `filters`; `found`: the record's questions, when `claims` are not every claim (see
    `draw`). :raise NotFound: an unknown question. :raise InvalidInput: an unknown verdict.
    """
    by_id = {c.id: c for c in claims}
    if found is None:
        found = questions(claims)
    _checked(filters, found)
    asked = {q.id: q for q in found}
    answer_of = _answers(found)
    chosen = _chosen(kind, claims, filters, answer_of)
    docs = {d.id: d for d in corpus.documents()}
    order = {d: i for i, d in enumerate(docs)}
    in_docs = sorted(
        {a.doc for c in chosen for a in c.appearances if a.doc in docs},
        key=lambda d: (
            docs[d].meta.published or dt.date.max,
            order[d],
        ),
    )
    articles = [
        Article(
            i + 1,
            d,
            docs[d].meta.title,
            docs[d].meta.outlet,
            docs[d].meta.published,
            settings.document_url(d, docs[d]),
        )
        for i, d in enumerate(in_docs)
    ]
    number = {a.id: a.number for a in articles}
    shown = [
        Shown(
            id=c.id,
            statement=c.statement,
            short=_short(c),
            claimant=c.claimant,
            date=c.claim_date,
            month=c.claim_month,
            verdict=c.status,
            question=answer_of[c.id][0] if c.id in answer_of else None,
            answer=answer_of[c.id][1] if c.id in answer_of else None,
            url=settings.claim_url(c.id),
            documents=sorted({a.doc for a in c.appearances if a.doc in number}, key=number.get),  # type: ignore[arg-type]
        )
        for c in chosen
    ]
    used = {s.question for s in shown if s.question}
    listed = [
        Asked(q.id, q.name, label_of(q, by_id), q.problems)
        for q in found
        if q.id in used or q.id == filters.question
    ]
    pic = Picture(
        kind=kind,
        title="",
        caption="",
        claims=shown,
        articles=articles,
        questions=listed,
        org_name=settings.org_name,
        base_url=settings.base_url,
        exported=today or dt.datetime.now(dt.UTC).date(),
        filters=filters,
    )
    if kind == "matrix":
        cells: dict[tuple[str, str, str], list[Shown]] = {}
        for s in sorted(shown, key=lambda s: (s.when is None, s.when or dt.date.min, s.id)):
            assert s.question is not None and s.answer is not None
            cells.setdefault((s.claimant, s.question, s.answer), []).append(s)
        pic.cells = [Cell(k[0], k[1], k[2], v) for k, v in cells.items()]
    pic.title, pic.caption = _titles(pic, asked, by_id)
    return pic


def _titles(
    pic: Picture, asked: dict[str, Question], by_id: Mapping[str, Claim]
) -> tuple[str, str]:
    about = ""
    if pic.filters.question:
        about = f": {label_of(asked[pic.filters.question], by_id)}"
    narrowed = [
        f"claimant {pic.filters.claimant}" if pic.filters.claimant else "",
        f"verdict {pic.filters.verdict}" if pic.filters.verdict else "",
    ]
    only = "; ".join(n for n in narrowed if n)
    n = len(pic.claims)
    claimants = len({c.claimant for c in pic.claims})
    counted = (
        f"{n} claim{'' if n == 1 else 's'} by {claimants} claimant{'' if claimants == 1 else 's'}"
    )
    if pic.kind == "timeline":
        title = "Who said what, when" + about
        dated = pic.dated
        if dated:
            span = f"{dated[0].said} to {dated[-1].said}"
            caption = f"{counted}, {span}"
            if pic.undated:
                caption += f"; {len(pic.undated)} without a date, not on the axis"
        elif n:
            caption = f"{counted}, none of them dated: nothing to put on the axis"
        else:
            caption = "No claim matches these filters"
    else:
        title = "Who says what" + about
        q = len({c.question for c in pic.claims})
        caption = (
            f"{counted} answering {q} question{'' if q == 1 else 's'}"
            if n
            else "No claim answers a question with these filters (link claims as repeating or "
            "contradicting each other to make one)"
        )
    if only:
        caption += f" (only {only})"
    return title, caption


# -- text in SVG -------------------------------------------------------------------------------


def _width(text: str, size: float) -> float:
    """About how wide `text` is in a sans-serif font (DejaVu Sans is among the widest)."""
    return (
        sum(0.35 if ch in "iljtf.,;:'!|" else 0.68 if ch.isupper() else 0.58 for ch in text) * size
    )


def fit(text: str, size: float, width: float) -> str:
    """`text`, cut with an ellipsis to fit `width`."""
    if _width(text, size) <= width:
        return text
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, size: float, width: float, lines: int = 3) -> list[str]:
    """`text` in at most `lines` lines of `width` (the last cut with an ellipsis)."""
    out: list[str] = []
    line = ""
    words = text.split()
    for i, word in enumerate(words):
        candidate = f"{line} {word}".strip()
        if _width(candidate, size) <= width or not line:
            line = candidate
            continue
        out.append(line)
        line = word
        if len(out) == lines - 1:
            line = " ".join(words[i:])
            break
    if line:
        out.append(fit(line, size, width))
    return [fit(x, size, width) for x in out]


def _text(
    x: float,
    y: float,
    text: str,
    size: float = 13,
    fill: str = INK,
    weight: str | None = None,
    anchor: str | None = None,
) -> str:
    attrs = f'x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if anchor:
        attrs += f' text-anchor="{anchor}"'
    return f"<text {attrs}>{escape(text)}</text>"


def _marker(x: float, y: float, verdict: str, r: float = 9) -> str:
    ink, bg, icon = COLOURS[verdict]
    return (
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:g}" fill="{bg}" stroke="{ink}" stroke-width="2"/>'
        f'<text x="{x:.1f}" y="{y + r * 0.45:.1f}" font-size="{r * 1.25:.1f}" font-weight="700" '
        f'fill="{ink}" text-anchor="middle">{icon}</text>'
    )


def _link(href: str | None, label: str, inner: str) -> str:
    tip = f"<title>{escape(label)}</title>"
    if href is None:
        return f"<g>{tip}{inner}</g>"
    return f"<a href={quoteattr(href)} aria-label={quoteattr(label)}>{tip}{inner}</a>"


def _claim_label(c: Shown, answer_word: bool = False) -> str:
    said = f"{c.claimant}, {c.said}: {c.statement} (verdict: {c.verdict}"
    if answer_word and c.answer:
        said += f"; {'asserts' if c.answer == 'yes' else 'denies'}"
    return said + ")"


def _legend(x: float, y: float) -> str:
    parts = []
    for v in STATUSES:
        parts.append(_marker(x + 9, y - 4, v, 8))
        parts.append(_text(x + 22, y, v, 12, MUTED))
        x += 36 + _width(v, 12)
    return "".join(parts)


def _document(width: float, height: float, pic: Picture, body: list[str]) -> str:
    desc = f"{pic.caption}. Sources: " + "; ".join(a.cited() for a in pic.articles)
    desc += f". {pic.source_line()}."
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="pic-title pic-desc" font-family="{FONT}">\n'
        f'<title id="pic-title">{escape(pic.title)}</title>\n'
        f'<desc id="pic-desc">{escape(desc)}</desc>\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n' + "\n".join(body) + "\n</svg>\n"
    )


def _head(pic: Picture, width: float) -> tuple[list[str], float]:
    body = []
    y = 30.0
    for line in wrap(pic.title, 20, width - 40, 2):
        body.append(_text(20, y, line, 20, INK, "700"))
        y += 25
    for line in wrap(pic.caption, 13, width - 40, 3):
        body.append(_text(20, y, line, 13, MUTED))
        y += 18
    body.append(_legend(20, y + 8))
    return body, y + 30


def _sources(pic: Picture, width: float, y: float) -> tuple[list[str], float]:
    body = [f'<line x1="20" x2="{width - 20:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>']
    y += 20
    body.append(_text(20, y, "Sources", 12, INK, "700"))
    y += 17
    for a in pic.articles:
        for line in wrap(a.cited(), 11.5, width - 40, 2):
            body.append(_text(20, y, line, 11.5, MUTED))
            y += 15
    for line in wrap(pic.source_line(), 11.5, width - 40, 2):
        body.append(_text(20, y, line, 11.5, MUTED))
        y += 15
    return body, y + 10


# -- the timeline ------------------------------------------------------------------------------


def _ticks(first: dt.date, last: dt.date) -> tuple[list[dt.date], Callable[[dt.date], str]]:
    """Tick dates between `first` and `last`: weekly for up to ten weeks, monthly up to
    three years, then yearly."""
    days = (last - first).days
    if days <= 70:
        start = first + dt.timedelta(days=(7 - first.weekday()) % 7)  # Mondays
        ticks = [start + dt.timedelta(weeks=i) for i in range(days // 7 + 2)]
        return [t for t in ticks if t <= last], lambda d: f"{d.day} {MONTHS[d.month - 1]}"
    if days <= 3 * 366:
        ticks = []
        y, m = (first.year, first.month + 1) if first.day > 1 else (first.year, first.month)
        while True:
            if m > 12:
                y, m = y + 1, 1
            t = dt.date(y, m, 1)
            if t > last:
                break
            ticks.append(t)
            m += 1
        step = max(1, math.ceil(len(ticks) / 12))
        return (
            ticks[::step],
            lambda d: (
                f"{MONTHS[d.month - 1]} {d.year}"
                if d.month == 1 or d == ticks[0]
                else MONTHS[d.month - 1]
            ),
        )
    years = [dt.date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
    step = max(1, math.ceil(len(years) / 12))
    return years[::step], lambda d: str(d.year)


def timeline_svg(pic: Picture, link: Linker | None = None) -> str:
    """The timeline as a standalone SVG: a lane per claimant, each claim a marker at its
    date (claims close together stacked, not overlapping), the articles' publication dates
    as numbered marks on the axis, the sources under it. `link`: where a claim's marker
    goes (default its public URL)."""
    link = link or _public
    width = 1000.0
    left, right = 230.0, width - 30.0
    body, y = _head(pic, width)
    lanes = pic.lanes()
    dates = [d for c in pic.dated if c.span for d in c.span]
    dates += [a.published for a in pic.articles if a.published]
    if not lanes:
        body.append(_text(20, y + 10, "No dated claim to put on a time axis.", 14, INK))
        y += 30
    else:
        first, last = min(dates), max(dates)
        pad = max(2, (last - first).days // 30)
        first, last = first - dt.timedelta(days=pad), last + dt.timedelta(days=pad)
        span = max(1, (last - first).days)

        def at(d: dt.date) -> float:
            return left + (right - left) * (d - first).days / span

        top = y
        gap = 40 if pic.filters.question else 21  # one question: room for "yes"/"no"
        rows_y: list[tuple[str, list[tuple[Shown, float, int]], float, float]] = []
        for claimant, claims in lanes:
            placed: list[tuple[Shown, float, int]] = []
            ends: list[float] = []
            for c in claims:
                lo, hi = (at(d) for d in c.span)  # type: ignore[union-attr]
                row = next((i for i, end in enumerate(ends) if lo - end >= gap), len(ends))
                if row == len(ends):
                    ends.append(hi)
                ends[row] = hi
                placed.append((c, at(c.when), row))  # type: ignore[arg-type]
            height = 14 + 22 * len(ends)
            rows_y.append((claimant, placed, y, height))
            y += height
        bottom = y
        for i, (claimant, _placed, ly, lane_h) in enumerate(rows_y):
            if i % 2 == 0:
                body.append(
                    f'<rect x="20" y="{ly:.1f}" width="{width - 40:.0f}" height="{lane_h:.1f}" '
                    'fill="#f6f8fa"/>'
                )
            name = _text(28, ly + 23, fit(claimant, 13, left - 50), 13, INK, "600")
            body.append(f"<g><title>{escape(claimant)}</title>{name}</g>")
        ticks, label = _ticks(first, last)
        for t in ticks:
            x = at(t)
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{bottom + 6:.1f}" '
                f'stroke="{LINE}"/>'
            )
            body.append(_text(x, bottom + 20, label(t), 11.5, MUTED, anchor="middle"))
        body.append(
            f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{bottom:.1f}" y2="{bottom:.1f}" '
            f'stroke="{INK}"/>'
        )
        # The articles' publication dates: a dashed line and a numbered flag under the axis.
        flags: list[float] = []
        deepest = bottom + 26
        for a in pic.articles:
            if not a.published:
                continue
            x = at(a.published)
            row = next((i for i, end in enumerate(flags) if x - end >= 26), len(flags))
            if row == len(flags):
                flags.append(x)
            flags[row] = x
            fy = bottom + 34 + row * 24
            deepest = max(deepest, fy + 12)
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" y2="{fy - 10:.1f}" '
                f'stroke="{ACCENT}" stroke-dasharray="3 3" stroke-width="1"/>'
            )
            body.append(
                _link(
                    link(a),
                    f"Published {day(a.published)}: {a.cited()}",
                    f'<rect x="{x - 10:.1f}" y="{fy - 10:.1f}" width="20" height="18" rx="3" '
                    f'fill="#ffffff" stroke="{ACCENT}"/>'
                    + _text(x, fy + 3.5, str(a.number), 11, ACCENT, "700", "middle"),
                )
            )
        for _claimant, placed, ly, _height in rows_y:
            for c, x, row in placed:
                marker = _marker(x, ly + 18 + 22 * row, c.verdict)
                if c.month is not None:  # said some day that month: a bar across it
                    lo, hi = (at(d) for d in c.span)  # type: ignore[union-attr]
                    ink, fill, _icon = COLOURS[c.verdict]
                    marker = (
                        f'<rect x="{lo:.1f}" y="{ly + 14 + 22 * row:.1f}" '
                        f'width="{max(hi - lo, 2):.1f}" height="8" rx="4" fill="{fill}" '
                        f'stroke="{ink}" stroke-dasharray="2 2"/>' + marker
                    )
                if pic.filters.question and c.answer:  # one question: each claim's answer
                    marker += _text(x + 11, ly + 12 + 22 * row, c.answer, 9.5, INK, "700")
                body.append(_link(link(c), _claim_label(c, True), marker))
        y = deepest + 8
        body.append(
            _text(
                20,
                y + 8,
                "Numbered marks: the articles' publication dates (see Sources).",
                11.5,
                MUTED,
            )
        )
        y += 22
        if any(c.month for c in pic.dated):
            body.append(
                _text(
                    20,
                    y + 2,
                    "A dashed bar: said in that month, on a day the sources do not give.",
                    11.5,
                    MUTED,
                )
            )
            y += 18
    if pic.undated:
        n = len(pic.undated)
        body.append(
            _text(
                20,
                y + 6,
                f"Without a date, not on the axis: {n} claim{'' if n == 1 else 's'} "
                "(listed in the data export).",
                11.5,
                MUTED,
            )
        )
        y += 20
    tail, y = _sources(pic, width, y + 6)
    return _document(width, y, pic, body + tail)


# -- the matrix --------------------------------------------------------------------------------


def matrix_svg(pic: Picture, link: Linker | None = None) -> str:
    """The who-says-what matrix as a standalone SVG: a row per claimant, a column per
    question, each cell what the claimant says (asserts or denies), when and with what
    verdict, each claim linked."""
    link = link or _public
    cols = pic.questions
    names = pic.rows()
    col_w, first_w = 230.0, 200.0
    width = max(600.0, 40 + first_w + col_w * len(cols))
    body, y = _head(pic, width)
    if not cols or not names:
        body.append(_text(20, y + 10, "No claim answers a question here.", 14, INK))
        y += 30
    else:
        heads = [wrap(q.label, 13, col_w - 16, 4) for q in cols]
        head_h = 12 + 17 * max(len(h) for h in heads)
        x0 = 20 + first_w
        grid_top = y
        body.append(_text(28, y + 20, "Claimant", 12, MUTED, "700"))
        for i, head in enumerate(heads):
            for j, line in enumerate(head):
                body.append(_text(x0 + i * col_w + 8, y + 20 + j * 17, line, 13, INK, "700"))
        y += head_h
        body.append(
            f'<line x1="20" x2="{width - 20:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{INK}"/>'
        )
        for r, name in enumerate(names):
            blocks: list[tuple[int, list[tuple[str, Shown | None]]]] = []
            label = wrap(name, 13, first_w - 34, 3)
            height = 16.0 + 16 * len(label)
            for i, q in enumerate(cols):
                lines: list[tuple[str, Shown | None]] = []
                for cell in sorted(pic.cell(name, q.id), key=lambda c: c.answer != "yes"):
                    lines.append(("asserts" if cell.answer == "yes" else "denies", None))
                    for said in cell.claims:
                        lines.append((said.said, said))
                blocks.append((i, lines))
                height = max(height, 14 + 21 * len(lines))
            if r % 2 == 0:
                body.append(
                    f'<rect x="20" y="{y:.1f}" width="{width - 40:.0f}" height="{height:.1f}" '
                    'fill="#f6f8fa"/>'
                )
            for j, line in enumerate(label):
                body.append(_text(28, y + 22 + 16 * j, line, 13, INK, "600"))
            for i, block in blocks:
                cx = x0 + i * col_w + 8
                ly = y + 22
                for text, one in block:
                    if one is None:
                        mark = "+ " if text == "asserts" else "− "
                        body.append(_text(cx, ly, mark + text, 13, INK, "700"))
                    else:
                        c = one
                        body.append(
                            _link(
                                link(c),
                                _claim_label(c, True),
                                _marker(cx + 12, ly - 4.5, c.verdict, 8)
                                + _text(
                                    cx + 26, ly, f"{text} · {c.verdict}", 12, COLOURS[c.verdict][0]
                                ),
                            )
                        )
                    ly += 21
            y += height
            body.append(
                f'<line x1="20" x2="{width - 20:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{LINE}"/>'
            )
        for i in range(len(cols)):
            x = x0 + i * col_w - 4
            body.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{grid_top:.1f}" y2="{y:.1f}" '
                f'stroke="{LINE}"/>'
            )
        unnamed = [q for q in cols if q.name is None]
        if unnamed:
            y += 18
            body.append(
                _text(
                    20,
                    y,
                    "A quoted column head is an unnamed question: asserts/denies are against "
                    "that claim's statement.",
                    11.5,
                    MUTED,
                )
            )
        y += 8
    tail, y = _sources(pic, width, y + 10)
    return _document(width, y, pic, body + tail)


# -- the files ---------------------------------------------------------------------------------


def svg_of(pic: Picture, link: Linker | None = None) -> str:
    return timeline_svg(pic, link) if pic.kind == "timeline" else matrix_svg(pic, link)


class PngUnavailable(Exception):
    """resvg-py, which renders the PNG, is not installed."""


MAX_PNG_PIXELS = 20_000_000
"""The largest PNG made (width × height): twice the SVG's size when that fits, else its own
size, else refused. Rendering takes about a second per million pixels (bench/pictures.py):
a picture of a thousand claims would hold a server's worker for minutes, and no article
prints it."""


def png_scale(svg: str) -> float:
    """The zoom at which the SVG becomes a PNG (2, else 1). :raise InvalidInput: too big."""
    width, height = (
        float(re.search(rf' {side}="([0-9.]+)"', svg).group(1))  # type: ignore[union-attr]
        for side in ("width", "height")
    )
    for scale in (2.0, 1.0):
        if width * height * scale * scale <= MAX_PNG_PIXELS:
            return scale
    raise InvalidInput(
        f"this picture is {width:.0f} × {height:.0f} px, too big for a PNG (at most "
        f"{MAX_PNG_PIXELS / 1e6:.0f} million pixels): narrow it to a question or a claimant, "
        "or take the SVG",
        [detail("format", "picture too big for a PNG")],
    )


def png_of(svg: str, scale: float | None = None) -> bytes:
    """The SVG as PNG, at `scale` times its size (default `png_scale`: twice, sharp on a
    newsroom's retina screens, when it is not too big).
    :raise PngUnavailable: without resvg-py. :raise InvalidInput: too big."""
    try:
        import resvg_py  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        raise PngUnavailable(
            f"PNG pictures need resvg-py, an optional extra: {PNG_EXTRA} (SVG and JSON "
            "need nothing more)"
        ) from None
    zoom = png_scale(svg) if scale is None else scale
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, zoom=zoom, background="#ffffff"))


def render(pic: Picture, fmt: str, link: Linker | None = None) -> bytes:
    """The picture as `fmt` (svg, png or json) bytes."""
    import orjson

    if fmt == "json":
        return orjson.dumps(pic.json(), option=orjson.OPT_INDENT_2) + b"\n"
    svg = svg_of(pic, link)
    if fmt == "svg":
        return svg.encode()
    if fmt == "png":
        return png_of(svg)
    raise ValueError(f"unknown picture format {fmt!r}")


MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png", "json": "application/json"}


FILTERS = ("question", "claimant", "verdict")


def filters_from(args: Any) -> Filters:
    """Filters from a mapping of query parameters (empty values are no filter)."""
    return Filters(**{n: (args.get(n) or None) for n in FILTERS})
