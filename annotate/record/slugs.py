"""Ids made from text: claim ids from statements, document ids from titles.

Letters become their closest ASCII (anyascii: "Søren" → "soren", "Україна" → "ukraina",
"Straße" → "strasse"); stripping accents alone (NFKD) dropped every letter without one, so a
Ukrainian or Russian statement gave no word at all.

An id is cut at a word boundary, never inside a word, and does not end on a word that
leads into the rest of the phrase (an article, a preposition, a conjunction, a form of "to
be": `the-missile-launch-at-shusha-was-the` is `the-missile-launch-at-shusha`). Only new ids
are made here: an id, once given, never changes.
"""

from __future__ import annotations

import re

from anyascii import anyascii

MAX_CHARS = 60
"""The longest id stem made from text."""

DANGLING = frozenset(
    """a an the and or but nor of to in on at by for from with into onto upon about as than
    that which who whom whose this these those is are was were be been being has have had do
    does did will would shall should can could may might must not no its their his her our
    your my if then so s""".split()
)
"""English words an id should not end on: they point to the words cut off after them."""


def ascii_words(text: str, words: int, limit: int = MAX_CHARS) -> str:
    """Lower-case ASCII words of `text` joined by hyphens: at most `words` of them and
    `limit` characters, cut between words, without dangling words at the end ("" when there
    is none). A first word longer than `limit` is cut at `limit`."""
    parts: list[str] = re.findall(r"[a-z0-9]+", anyascii(text).lower())[:words]
    if not parts:
        return ""
    kept: list[str] = []
    size = -1
    for word in parts:
        if size + 1 + len(word) > limit:
            break
        kept.append(word)
        size += 1 + len(word)
    if not kept:
        return parts[0][:limit]
    while len(kept) > 1 and kept[-1] in DANGLING:
        kept.pop()
    return "-".join(kept)
