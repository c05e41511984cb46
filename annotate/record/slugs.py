"""Ids made from text: claim ids from statements, document ids from titles.

Letters become their closest ASCII (anyascii: "Søren" → "soren", "Україна" → "ukraina",
"Straße" → "strasse"); stripping accents alone (NFKD) dropped every letter without one, so a
Ukrainian or Russian statement gave no word at all.
"""

from __future__ import annotations

import re

from anyascii import anyascii


def ascii_words(text: str, words: int) -> str:
    """Lower-case ASCII words of `text` joined by hyphens: at most `words` of them and 60
    characters ("" when there is none)."""
    parts = re.findall(r"[a-z0-9]+", anyascii(text).lower())
    return "-".join(parts[:words])[:60].strip("-")
