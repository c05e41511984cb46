"""Anchoring: where a quote sits in a document's text. Pure functions, no I/O, no Flask."""

from __future__ import annotations

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
