"""A document's text as HTML with its claims marked. Pure functions, no Flask."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..record.anchoring import edited_in_place, locate
from ..record.models import Anchor, Claim
from ..record.search import START, STOP
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
                how = (
                    " (its text was edited since it was anchored)"
                    if edited_in_place(a, placement)
                    else " (moved since it was anchored)"
                )
                out.append(
                    Span(
                        placement.start,
                        placement.end,
                        c.id,
                        c.status,
                        label + how,
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
    `id` (`a-CLAIM-INDEX`) to link to; its last piece the class `last`, where the verdict's
    icon is drawn (at the end: nested and adjacent appearances starting together made runs
    of icons at their starts).
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
            first += " last" if s.end == b else ""
            first += " drifted" if s.drifted else ""
            opened.append(
                f'<mark{ident} class="v-{s.verdict}{first}" data-claim="{s.claim}" '
                f'data-verdict="{s.verdict}" data-index="{s.index}" '
                f'title="{_text(s.label)}">'
            )
        parts.append("".join(opened) + piece + "</mark>" * len(opened))
    return Markup("".join(parts))


def claim_items(claims: Iterable[Claim | Summary], here: str) -> Markup:
    """The rows of the list "Claims in this document" (`partials/_doc_claims.html`): a link
    to each claim's panel on the page `here`, with its verdict's dot and badge."""
    url = _text(here)
    rows = []
    for c in claims:
        cid, status = _text(c.id), _text(c.status)
        rows.append(
            f'        <li><a href="{url}?claim={cid}#panel" data-claim-link="{cid}">'
            f'<span class="dot v-{status}" aria-hidden="true"></span>'
            f'<span class="badge v-{status}">{status}</span> {_text(c.statement)}</a></li>\n'
        )
    return Markup("".join(rows))


def marks_html(text: str) -> Markup:
    """A search highlight (`search.START`/`STOP` around matched words) as HTML: the text
    escaped, each matched word in `<mark>`."""
    return Markup(str(escape(text)).replace(START, "<mark>").replace(STOP, "</mark>"))
