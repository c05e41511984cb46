"""A read-only W3C Web Annotation Protocol container at `/annotations/`, so that W3C clients
can read the record: every annotation of the `w3c` export, dereferenceable at its `id`.

- `GET /annotations/`: the container, an `ldp:BasicContainer` and `AnnotationCollection`
  with `total`, `first` and `last`; the first page embedded unless the client prefers a
  minimal container (`Prefer: return=representation;include="…#PreferMinimalContainer"`),
  its items full annotations or, preferring `PreferContainedIRIs`, their IRIs.
- `GET /annotations/?page=N` (`&iris=1` for IRIs): an `AnnotationPage` of `PAGE_SIZE`
  annotations with `partOf`, `startIndex`, `next` and `prev`.
- `GET /annotations/<claim id>`: a claim as an annotation; `…/reviews/<name>`: one review.

Every answer has the protocol's media type, `Link` headers naming its LDP type, `Allow`, a
strong `ETag` (the representation's hash: blind review shows two reviewers two
representations of one version) and answers `If-None-Match` with 304. What the requester may
read is what the API gives them: the same login, and under blind review a claim they have
not reviewed has no verdict and no review annotations here either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from ..errors import InvalidInput, NotFound, detail
from ..formats.common import ExportSettings
from ..formats.w3c import (
    ANNO_CONTEXT,
    W3C_MEDIA_TYPE,
    annotation,
    review_annotation,
    w3c_context,
)
from ..record.corpus import CorpusDocument
from ..record.models import Claim
from ..record.store import Summary, to_json
from .common import permission, workspace

bp = Blueprint("protocol", __name__)

PAGE_SIZE = 100
"""Annotations per page of the container."""
LDP = "http://www.w3.org/ns/ldp#"
MINIMAL = f"{LDP}PreferMinimalContainer"
IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
CONSTRAINED_BY = (
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
ALLOW = "GET, HEAD, OPTIONS"


def _settings() -> ExportSettings:
    settings: ExportSettings = current_app.extensions["annotate_export"]
    return settings


def _container_id(settings: ExportSettings) -> str:
    return f"{settings.base_url}/annotations/"


def _page_id(settings: ExportSettings, page: int, iris: bool) -> str:
    return f"{_container_id(settings)}?iris={int(iris)}&page={page}"


def _items() -> list[tuple[Summary, str | None]]:
    """Every annotation as (the claim's summary, reviewer or None), in the `w3c` export's
    order: each claim, then its reviews by reviewer name (the reviews this requester may
    see). From the store's index: a page reads only its own claims."""
    return [
        item
        for s in workspace().find()
        for item in ((s, None), *((s, name) for name in s.reviewers))
    ]


def _docs() -> dict[str, CorpusDocument]:
    return {d.id: d for d in workspace().corpus.documents()}


def _describe(
    claim: Claim,
    name: str | None,
    settings: ExportSettings,
    docs: Mapping[str, CorpusDocument] | None = None,
) -> dict[str, Any]:
    docs = _docs() if docs is None else docs
    if name is None:
        return annotation(claim, docs, settings)
    return review_annotation(claim, name, docs, settings)


def _iri(claim_id: str, name: str | None, settings: ExportSettings) -> str:
    base = settings.annotation_url(claim_id)
    return base if name is None else f"{base}/reviews/{quote(name, safe='')}"


def _prefer() -> set[str]:
    """The `include` URIs of a `Prefer: return=representation` header."""
    wanted: set[str] = set()
    for header in request.headers.getlist("Prefer"):
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key.strip().lower() == "include":
                wanted.update(value.strip().strip('"').split())
    return wanted


def _answer(data: dict[str, Any], ldp_type: str, vary: str = "Accept") -> Response:
    """The JSON-LD with the protocol's media type, LDP Link, Allow and a strong ETag; 304
    when `If-None-Match` names it."""
    text = to_json(data)
    etag = '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Link": f'<{LDP}{ldp_type}>; rel="type"'
        + (f", {CONSTRAINED_BY}" if ldp_type == "BasicContainer" else ""),
        "Allow": ALLOW,
        "Vary": vary,
    }
    sent = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in sent or "*" in sent:
        return Response(status=304, headers=headers)
    return Response(text, content_type=W3C_MEDIA_TYPE, headers=headers)


def _page(
    items: list[tuple[Summary, str | None]], page: int, iris: bool, settings: ExportSettings
) -> dict[str, Any]:
    last = max(0, (len(items) - 1) // PAGE_SIZE)
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    docs = {} if iris else _docs()
    shown: list[Any]
    if iris:
        shown = [_iri(s.id, n, settings) for s, n in chunk]
    else:
        # Only this page's claims are read, each once (its reviews follow it).
        ws = workspace()
        read = {c.id: c for c in ws.read(list({s.id: s for s, _ in chunk}.values()))}
        lensed = {i: c if ws.lens is None else ws.lens(c) for i, c in read.items()}
        shown = [
            _describe(lensed[s.id], n, settings, docs)
            for s, n in chunk
            if s.id in lensed and (n is None or n in lensed[s.id].reviews)
        ]
    out: dict[str, Any] = {
        "@context": w3c_context(settings) if not iris else ANNO_CONTEXT,
        "id": _page_id(settings, page, iris),
        "type": "AnnotationPage",
        "partOf": {
            "id": _container_id(settings),
            "total": len(items),
            "modified": _modified(items),
        },
        "startIndex": page * PAGE_SIZE,
        "items": shown,
    }
    if page < last:
        out["next"] = _page_id(settings, page + 1, iris)
    if page > 0:
        out["prev"] = _page_id(settings, page - 1, iris)
    return out


def _modified(items: list[tuple[Summary, str | None]]) -> str | None:
    latest = max((c.updated_at for c, _ in items), default=None)
    return latest.strftime("%Y-%m-%dT%H:%M:%SZ") if latest else None


@bp.get("/annotations/")
@permission("viewer")
def container() -> Response:
    """The container, or one of its pages (`page`, `iris`)."""
    settings = _settings()
    items = _items()
    last = max(0, (len(items) - 1) // PAGE_SIZE)
    page_arg = request.args.get("page")
    iris_arg = request.args.get("iris", "0")
    if iris_arg not in ("0", "1"):
        raise InvalidInput(
            f"iris must be 0 or 1, not {iris_arg!r}", [detail("iris", "0 (descriptions) or 1")]
        )
    iris = iris_arg == "1"
    if page_arg is not None:
        if not (page_arg.isascii() and page_arg.isdigit()) or not items or int(page_arg) > last:
            raise NotFound(
                f"no page {page_arg!r} of the container: pages are 0 to {last}"
                if items
                else "the container is empty: it has no pages",
                [detail("page", f"0 to {last}" if items else "no pages")],
            )
        page = _page(items, int(page_arg), iris, settings)
        return _answer(page, "Resource")
    wanted = _prefer()
    if IRIS in wanted:
        iris = True
    out: dict[str, Any] = {
        "@context": [ANNO_CONTEXT, "http://www.w3.org/ns/ldp.jsonld"],
        "id": _container_id(settings),
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": f"Claims and verdicts of {settings.org_name}",
        "total": len(items),
    }
    modified = _modified(items)
    if modified:
        out["modified"] = modified
    if items:
        if MINIMAL in wanted:
            out["first"] = _page_id(settings, 0, iris)
        else:
            first = _page(items, 0, iris, settings)
            del first["partOf"]
            out["first"] = first
        out["last"] = _page_id(settings, last, iris)
    resp = _answer(out, "BasicContainer", vary="Accept, Prefer")
    if wanted & {MINIMAL, IRIS, DESCRIPTIONS}:
        resp.headers["Preference-Applied"] = "return=representation"
    return resp


@bp.get("/annotations/<claim_id>")
@permission("viewer")
def claim_annotation(claim_id: str) -> Response:
    """One claim as an annotation. :raise 404:"""
    claim = workspace().claim(claim_id)
    return _answer(_describe(claim, None, _settings()), "Resource")


@bp.get("/annotations/<claim_id>/reviews/<path:name>")
@permission("viewer")
def review(claim_id: str, name: str) -> Response:
    """One reviewer's review of a claim as an annotation; 404 when there is none, or blind
    review hides it from the requester."""
    claim = workspace().claim(claim_id)
    if name not in claim.reviews:
        raise NotFound(
            f"no review by '{name}' of claim '{claim_id}' that you may read",
            [detail("name", "no such review")],
        )
    return _answer(_describe(claim, name, _settings()), "Resource")
