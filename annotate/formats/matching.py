"""Where an imported annotation goes: the document a page URL names (however the URL is
dressed), and the place of a quote in that document's text (as tolerantly as re-anchoring).

A page is known by many URLs: `http` and `https`, with and without `www.`, a trailing slash,
a fragment, tracking parameters (`utm_*`, `fbclid`, `gclid`, …), and its AMP forms (`/amp/`,
`?amp`, an `amp.` host, a `.amp` suffix). `page_key` makes them one key; a document is found by
the key of its `url`, of one of its `aliases`, or of a URL given by hand (`--map URL=DOC`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from ..errors import InvalidInput
from ..record.anchoring import locate, locate_quote
from ..record.corpus import CorpusDocument
from ..record.models import Anchor
from .common import Unimportable

TRACKING = re.compile(
    r"^(utm_.*|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|"
    r"mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|wt_mc|s_cid|"
    r"ocid|cmpid|guccounter|__twitter_impression)$",
    re.IGNORECASE,
)
"""Query parameters that say how a reader came to a page, not which page it is."""

_AMP_QUERY = re.compile(r"^(amp|outputtype)$", re.IGNORECASE)


def page_key(url: str) -> str:
    """One key for every URL of the same page: no scheme, host lower-case without `www.`,
    `m.` or `amp.`, no default port, no fragment, no tracking or AMP parameters (the others
    sorted), no AMP path form, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").rstrip(".")
    for lead in ("www.", "amp.", "m."):
        if host.startswith(lead) and host.count(".") >= 2:
            host = host[len(lead) :]
    if host.endswith(".cdn.ampproject.org"):  # the AMP cache: its path names the page
        return page_key("https://" + re.sub(r"^/[a-z]/(s/)?", "", parts.path))
    port = parts.port if parts.port not in (None, 80, 443) else None
    path = parts.path or "/"
    path = re.sub(r"/amp(/|$)", "/", path)  # /amp/story and /story/amp/
    path = re.sub(r"\.amp(\.html?)?$", r"\1", path)  # story.amp, story.amp.html
    path = re.sub(r"/+", "/", path).rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING.match(k) and not _AMP_QUERY.match(k)
    ]
    key = host + (f":{port}" if port else "") + path
    return key + (f"?{urlencode(sorted(query))}" if query else "")


def parse_maps(given: Iterable[str], docs: Mapping[str, CorpusDocument]) -> dict[str, str]:
    """`URL=DOC` pairs as `{page_key(URL): DOC}`.

    :raise InvalidInput: a pair without `=`, a URL that is not http(s), an unknown document,
        or one URL mapped to two documents.
    """
    out: dict[str, str] = {}
    for pair in given:
        url, sep, doc_id = pair.rpartition("=")
        url, doc_id = url.strip(), doc_id.strip()
        if not sep or not url or not doc_id:
            raise InvalidInput(f"--map {pair!r}: give it as URL=DOCUMENT-ID")
        if not re.match(r"^https?://", url, re.IGNORECASE):
            raise InvalidInput(f"--map {pair!r}: {url!r} is not an http:// or https:// URL")
        if doc_id not in docs:
            raise InvalidInput(f"--map {pair!r}: no document '{doc_id}' in the corpus")
        key = page_key(url)
        if out.get(key, doc_id) != doc_id:
            raise InvalidInput(f"--map: {url} is mapped to both '{out[key]}' and '{doc_id}'")
        out[key] = doc_id
    return out


@dataclass
class PageIndex:
    """The corpus documents by the keys of their URLs (`url`, `aliases`, `--map`)."""

    docs: Mapping[str, CorpusDocument]
    maps: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, set[str]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for doc in self.docs.values():
            for url in (doc.meta.url, *doc.meta.aliases):
                if url:
                    self.by_key.setdefault(page_key(url), set()).add(doc.id)

    def find(self, url: str) -> CorpusDocument | None:
        """The document of a page URL, or None when no document has it.

        :raise Unimportable: several documents have it (and no `--map` decides).
        """
        key = page_key(url)
        if key in self.maps:
            return self.docs[self.maps[key]]
        found = sorted(self.by_key.get(key, ()))
        if len(found) > 1:
            raise Unimportable(
                f"source {url} is the url of several documents: {', '.join(found)} "
                "(say which with --map URL=DOC)"
            )
        return self.docs[found[0]] if found else None

    def owner(self, url: str) -> set[str]:
        """The documents that have this URL (or a form of it) already."""
        key = page_key(url)
        return {self.maps[key]} if key in self.maps else set(self.by_key.get(key, ()))


def place_quote(
    text: str, exact: str, prefix: str = "", suffix: str = "", at: int | None = None
) -> tuple[int, int]:
    """Where an imported quote goes in a document's text.

    The quote as it is (or with other white space), the occurrence whose prefix and suffix
    agree best winning, and `at` (a position in this very text, when one is known) breaking
    ties; when it is not there as it is, the tolerant matching of re-anchoring (typographic
    quotes and dashes, case, small edits), which must be sure of its place.

    :raise ValueError: not found, or several places fit equally well.
    """
    end = None if at is None else at + len(exact)
    try:
        return locate_quote(text, exact, prefix, suffix, at, end)
    except ValueError as exc:
        if "is not in the document" not in str(exc):
            raise
        hint = at if at is not None and 0 <= at <= len(text) else 0
        anchor = Anchor(
            doc="import",
            start=hint,
            end=hint + len(exact),
            exact=exact,
            prefix=prefix[-200:],
            suffix=suffix[:200],
        )
        placed = locate(text, anchor)
        if placed.placed and placed.start is not None and placed.end is not None:
            return placed.start, placed.end
        raise
