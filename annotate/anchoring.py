"""Anchoring: where a quote sits in a document's text. Pure functions, no I/O, no Flask."""

from __future__ import annotations

import re

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
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
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
        distance = abs(s - start) if start is not None else 0
        return agree, -distance

    ranked = sorted(spans, key=score, reverse=True)
    if score(ranked[0]) == score(ranked[1]):
        raise ValueError(
            f"the quote {_show(exact)} occurs {len(spans)} times and its context does not "
            "tell which one is meant"
        )
    return ranked[0]
