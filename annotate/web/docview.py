"""What the document page shows of a document's claims, made once and kept while nothing it
is made from changes: the marked text (a `<mark>` per appearance: 500 claims make a thousand
of them), the list "Claims in this document", the verdict counts and the appearances that
drifted or lost their place.

At 100,000 claims the busiest page spent about 25 ms of CPU on those on every request (and
16 readers on 2 cores queued behind each other for it); they depend on nothing per user but
what blind review hides, so a view is kept per document and per lens (see `lens_key`) and
served again while:

- the document's text is the one it was made from (the corpus's SHA-256 of the file: an
  edit, a replaced text or another process's change of the file makes it differ);
- the summaries of the document's claims, as the requester's lens shows them, are equal to
  those it was made from (a save here, or by another process learned through the store's
  change log, replaces the summary in the index; a deleted or new claim changes the list;
  a verdict blind review hides differs between lenses);
- each claim that had to be read in full (its quote is no longer at its offsets) is equal to
  the one read then.

These are the very inputs of the view, compared for equality, not a version number kept
beside them: no change can leave a stale view served. The views are few and bounded (see
`ViewCache`): memory stays within the server's budget.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from ..record.corpus import CorpusDocument
from ..record.models import Anchor, Claim
from ..record.service import Summary, Workspace
from ..record.store import Mark
from .markup import marked_html, spans_for

VIEWS = 32
"""At most this many views are kept (least recently used go first)."""

VIEW_BYTES = 24 * 1024 * 1024
"""And at most about this much of their HTML (the busiest document's view is ~0.5 MB)."""


@dataclass(frozen=True)
class DocumentView:
    """The parts of a document's page made from its claims (see the module)."""

    sha256: str
    summaries: list[Summary]
    """The document's claims as the index summarised them, through the lens: what it is
    made from."""
    read: tuple[Claim, ...]
    """The claims read in full to place them (their quote moved or is gone)."""
    claims: list[Claim | Summary]
    """In the order of the text (see `in_text_order`)."""
    marked: Markup
    claims_html: Markup
    """The list "Claims in this document" (`partials/_doc_claims.html`)."""
    counts: Counter[str]
    drifted: int
    orphans: list[tuple[Claim | Summary, int, Anchor | Mark]]

    @property
    def size(self) -> int:
        """About how many bytes its HTML takes."""
        return len(self.marked) + len(self.claims_html)


def in_text_order(claims: Sequence[Claim | Summary], doc_id: str) -> list[Claim | Summary]:
    """The claims of one document in the order a reader meets them: by their first
    appearance's start in it."""

    def place(claim: Claim | Summary) -> tuple[int, str]:
        starts = [a.start for a in claim.appearances if a.doc == doc_id]
        return (min(starts) if starts else sys.maxsize, claim.id)

    return sorted(claims, key=place)


class ViewCache:
    """The kept views, by (document, lens key, script root); thread-safe."""

    def __init__(self, views: int = VIEWS, max_bytes: int = VIEW_BYTES) -> None:
        self.views = views
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple[str, str | None, str], DocumentView] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.made = 0
        """How many views were made (the others were served from here)."""

    def get(self, key: tuple[str, str | None, str]) -> DocumentView | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: tuple[str, str | None, str], view: DocumentView) -> None:
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._kept[key] = view
            self._bytes += view.size
            while self._kept and (len(self._kept) > self.views or self._bytes > self.max_bytes):
                _, gone = self._kept.popitem(last=False)
                self._bytes -= gone.size

    def __len__(self) -> int:
        return len(self._kept)


def lens_key(ws: Workspace, viewer: str) -> str | None:
    """Whose view of the claims `ws` gives: None when it shows them as they are (no blind
    review, or a requester who sees every review), else the viewer's name (blind review
    hides from each reviewer what they have not reviewed yet)."""
    return None if ws.summary_lens is None and ws.lens is None else viewer


def _still_valid(
    ws: Workspace, view: DocumentView, doc: CorpusDocument, now: list[Summary]
) -> bool:
    if view.sha256 != doc.sha256 or view.summaries != now:
        return False
    # The same summaries and text ask for the same claims read in full; each must be unchanged.
    for claim in view.read:
        try:
            if ws.claim(claim.id) != claim:
                return False
        except Exception:  # noqa: BLE001 - gone or unreadable meanwhile: make the view again
            return False
    return True


def document_view(
    cache: ViewCache,
    ws: Workspace,
    doc: CorpusDocument,
    key: tuple[str, str | None, str],
    render_claims: Callable[[CorpusDocument, list[Claim | Summary]], str],
) -> DocumentView:
    """The view of `doc` as `ws` (the requester's workspace) shows it: the kept one if
    nothing it is made from has changed, else a new one (kept when its text is the one the
    corpus names). `render_claims` makes the claims list's HTML."""
    # The summaries are taken before the view is made: a save meanwhile makes the view
    # newer than what it is compared by, and the next request makes it again (never older).
    now = ws.find(doc=doc.id)
    found = cache.get(key)
    if found is not None and _still_valid(ws, found, doc, now):
        return found
    text = doc.text
    claims = in_text_order(ws.to_mark(doc.id, text), doc.id)
    spans, orphans = spans_for(doc.id, claims, text)
    view = DocumentView(
        sha256=doc.sha256,
        summaries=now,
        read=tuple(c for c in claims if isinstance(c, Claim)),
        claims=claims,
        marked=marked_html(text, spans),
        claims_html=Markup(render_claims(doc, claims)),
        counts=Counter(c.status for c in claims),
        drifted=sum(s.drifted for s in spans),
        orphans=orphans,
    )
    cache.made += 1
    # The text read now may be newer than the document the corpus loaded (its file was
    # replaced in between): such a view is served once, not kept under the old digest.
    if hashlib.sha256(text.encode("utf-8")).hexdigest() == doc.sha256:
        cache.put(key, view)
    return view


def view_cache(extensions: dict[str, Any]) -> ViewCache:
    """The app's cache of views (made on first use)."""
    found = extensions.get("annotate_document_views")
    if found is None:
        found = extensions.setdefault("annotate_document_views", ViewCache())
    assert isinstance(found, ViewCache)
    return found
