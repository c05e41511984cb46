"""W3C Web Annotation, both ways.

Export (`w3c`): an `AnnotationCollection` with one `assessing` annotation per claim:
statement, verdict and rationale as bodies, sources as linked resources, each appearance a
target with a `TextQuoteSelector` and a `TextPositionSelector`.

Import: an AnnotationCollection with inline pages, an AnnotationPage, one Annotation, a list
of them, or a Hypothesis API answer (`{"rows": [...]}`); see `importer`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from ..errors import InvalidInput
from ..record import clock
from ..record.anchoring import make_anchor
from ..record.corpus import CorpusDocument
from ..record.models import VERDICTS, Anchor, Claim, Source, error_details
from ..record.service import Workspace
from .common import STREAMED, ExportSettings, Unimportable, json_chunks
from .matching import PageIndex, place_quote

# -- export ---------------------------------------------------------------------

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
W3C_MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def w3c_context(settings: ExportSettings) -> list[Any]:
    """The annotation context plus the few terms of ours the W3C vocabulary has no word for.

    `claimant` (who asserts the claim, a FOAF agent), `claimDate` (or `claimMonth`, when
    the sources give only the month), a source's `stance` and
    `note`, a disputed verdict's `basis` (on its `classifying` body), a relation's kind
    (`relation`: `repeats`, `contradicts` or `supports`, on a `linking` body naming the
    other claim's annotation), the `question` a claim names (its `name` and `answer`), and
    an anchor's `orphaned` flag live in the publishing instance's namespace
    (`{base_url}/ns#`); a cited web page's `title`, `publisher` and `date` are Dublin Core.
    """
    return [
        ANNO_CONTEXT,
        {
            "annotate": f"{settings.base_url}/ns#",
            "claimant": "annotate:claimant",
            "claimDate": {"@id": "annotate:claimDate", "@type": "xsd:date"},
            "claimMonth": {"@id": "annotate:claimMonth", "@type": "xsd:gYearMonth"},
            "stance": "annotate:stance",
            "note": "annotate:note",
            "orphaned": "annotate:orphaned",
            "basis": "annotate:basis",
            "relation": {"@id": "annotate:relation", "@type": "@vocab"},
            "repeats": "annotate:repeats",
            "contradicts": "annotate:contradicts",
            "supports": "annotate:supports",
            "question": "annotate:question",
            "answer": "annotate:answer",
            "title": "dcterms:title",
            "publisher": "dcterms:publisher",
            "date": {"@id": "dcterms:date", "@type": "xsd:date"},
        },
    ]


def selectors(anchor: Anchor) -> list[dict[str, Any]]:
    """An anchor as a TextQuoteSelector and a TextPositionSelector."""
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": anchor.exact}
    if anchor.prefix:
        quote["prefix"] = anchor.prefix
    if anchor.suffix:
        quote["suffix"] = anchor.suffix
    position = {"type": "TextPositionSelector", "start": anchor.start, "end": anchor.end}
    return [quote, position]


def _specific_resource(
    anchor: Anchor, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "type": "SpecificResource",
        "source": settings.document_url(anchor.doc, docs.get(anchor.doc)),
        "selector": selectors(anchor),
    }
    if anchor.orphaned:
        resource["orphaned"] = True
    return resource


def _source_body(
    source: Source, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    """A source as a SpecificResource with purpose `linking` and its stance: a quote has
    selectors into its document; a web page is the resource itself, described."""
    if source.quote is not None:
        body = _specific_resource(source.quote, docs, settings)
    else:
        page: dict[str, Any] = {"id": source.url, "type": "Text"}
        if source.title:
            page["title"] = source.title
        if source.publisher:
            page["publisher"] = source.publisher
        if source.date:
            page["date"] = source.date.isoformat()
        body = {"type": "SpecificResource", "source": page}
    body["purpose"] = "linking"
    body["stance"] = source.stance
    if source.note:
        body["note"] = source.note
    return body


def _agent(name: str) -> dict[str, Any]:
    return {"type": "Person", "name": name}


def _timestamp(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


def _verdict_bodies(
    verdict: str,
    rationale: str,
    sources: list[Source],
    reviewer: str,
    at: Any,
    docs: Mapping[str, CorpusDocument],
    settings: ExportSettings,
    basis: str | None = None,
) -> list[dict[str, Any]]:
    """A verdict as bodies: the verdict (`classifying`, with the `basis` of a disputed one
    when it is recorded), the rationale (`assessing`), and each source (`linking`)."""
    creator = _agent(reviewer)
    return [
        {
            "type": "TextualBody",
            "purpose": "classifying",
            "value": verdict,
            **({"basis": basis} if basis else {}),
            "creator": creator,
            "created": _timestamp(at),
        },
        {
            "type": "TextualBody",
            "purpose": "assessing",
            "value": rationale,
            "format": "text/plain",
            "creator": creator,
            "created": _timestamp(at),
        },
        *(_source_body(s, docs, settings) for s in sources),
    ]


def review_annotation(
    claim: Claim, name: str, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    """One reviewer's own review of a claim as its own `assessing` annotation, whose target
    is the claim's annotation."""
    review = claim.reviews[name]
    claim_anno = settings.annotation_url(claim.id)
    return {
        "@context": w3c_context(settings),
        "id": f"{claim_anno}/reviews/{quote(name, safe='')}",
        "type": "Annotation",
        "motivation": "assessing",
        "body": _verdict_bodies(
            review.verdict,
            review.rationale,
            review.sources,
            name,
            review.reviewed_at,
            docs,
            settings,
            review.basis,
        ),
        "target": claim_anno,
        "creator": _agent(name),
        "created": _timestamp(review.reviewed_at),
    }


def annotation(
    claim: Claim, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    """One claim as a W3C Web Annotation with motivation `assessing`: its final verdict as
    bodies (each review is an annotation of its own, `review_annotation`)."""
    bodies: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "purpose": "describing",
            "value": claim.statement,
            "format": "text/plain",
        }
    ]
    if claim.note:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "value": claim.note,
                "format": "text/plain",
            }
        )
    bodies += [{"type": "TextualBody", "purpose": "tagging", "value": t} for t in claim.tags]
    bodies += [
        {
            "type": "SpecificResource",
            "source": settings.annotation_url(r.claim),
            "purpose": "linking",
            "relation": r.kind,
        }
        for r in claim.relations
    ]
    if claim.verdict is not None and claim.rationale and claim.reviewer and claim.reviewed_at:
        bodies += _verdict_bodies(
            claim.verdict,
            claim.rationale,
            claim.sources,
            claim.reviewer,
            claim.reviewed_at,
            docs,
            settings,
            claim.basis,
        )
    anno: dict[str, Any] = {
        "@context": w3c_context(settings),
        "id": settings.annotation_url(claim.id),
        "type": "Annotation",
        "motivation": "assessing",
        # Only a recorded type: a guess would come back as a fact on import.
        "claimant": {"name": claim.claimant}
        | ({"type": claim.claimant_type} if claim.claimant_type else {}),
        "body": bodies,
        "target": [_specific_resource(a, docs, settings) for a in claim.appearances],
        "creator": _agent(claim.created_by),
        "created": _timestamp(claim.created_at),
        "modified": _timestamp(claim.updated_at),
        "generator": {
            "id": settings.base_url,
            "type": "Software",
            "name": "annotate",
            "homepage": settings.base_url,
        },
    }
    if claim.claim_date:
        anno["claimDate"] = claim.claim_date.isoformat()
    if claim.claim_month:
        anno["claimMonth"] = claim.claim_month
    if claim.question is not None:
        anno["question"] = {"name": claim.question.name, "answer": claim.question.answer}
    return anno


def export_w3c(ws: Workspace, settings: ExportSettings) -> Iterator[str]:
    """An AnnotationCollection of one annotation per claim, in one inline page (made a claim
    at a time: see `json_chunks`)."""
    docs = {d.id: d for d in ws.corpus.documents()}
    items = (
        item
        for c in ws.each_claim()
        for item in (
            annotation(c, docs, settings),
            *(review_annotation(c, name, docs, settings) for name in sorted(c.reviews)),
        )
    )
    collection_id = f"{settings.base_url}/annotations"

    def collection(total: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "@context": w3c_context(settings),
            "id": collection_id,
            "type": "AnnotationCollection",
            "label": f"Claims and verdicts of {settings.org_name}",
            "total": total,
        }
        # The model has no empty page: a collection of nothing has no `first`.
        if total:
            # Each level carries the context, so that a page or an annotation taken out of
            # the collection is still complete JSON-LD (the W3C test suite checks them so).
            out["first"] = {
                "@context": w3c_context(settings),
                "id": f"{collection_id}?page=0",
                "type": "AnnotationPage",
                "startIndex": 0,
                "items": STREAMED,
            }
        return out

    return json_chunks(collection, items)


_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


# -- import ---------------------------------------------------------------------


def _types(obj: Any) -> list[str]:
    if not isinstance(obj, dict):
        return []
    value = obj.get("type", obj.get("@type"))
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("#", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def w3c_records(data: Any) -> Iterator[tuple[str, Any]]:
    items: list[Any]
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "AnnotationCollection" in _types(data):
        items = []
        page = data.get("first")
        while page is not None:
            if not isinstance(page, dict):
                raise InvalidInput(
                    "the collection's pages are given by reference; only inline pages "
                    "(`first` and `next` objects with `items`) can be imported"
                )
            items += _as_list(page.get("items"))
            page = page.get("next")
    elif isinstance(data, dict) and "AnnotationPage" in _types(data):
        items = _as_list(data.get("items"))
    elif isinstance(data, dict) and isinstance(data.get("rows"), list):
        items = data["rows"]  # a Hypothesis API search answer
    elif isinstance(data, dict) and ("Annotation" in _types(data) or "target" in data):
        items = [data]
    else:
        raise InvalidInput(
            "a w3c import is an AnnotationCollection with inline pages, an AnnotationPage, "
            'an Annotation, a list of annotations, or a Hypothesis answer {"rows": [...]}'
        )
    # A review is an annotation whose target is another annotation of the file (as
    # `review_annotation` writes them): it goes with that annotation, as one of its reviews.
    ids = {item.get("id") for item in items if isinstance(item, dict)}
    reviews: dict[str, list[dict[str, Any]]] = {}
    replies: dict[str, list[dict[str, Any]]] = {}
    rest = []
    for item in items:
        target = item.get("target") if isinstance(item, dict) else None
        thread = item.get("references") if isinstance(item, dict) else None
        if isinstance(target, str) and target in ids:
            reviews.setdefault(target, []).append(item)
        elif isinstance(thread, list) and thread and thread[0] in ids:
            # A Hypothesis reply: said in the thread of the annotation it answers.
            replies.setdefault(thread[0], []).append(item)
        else:
            rest.append(item)
    for i, item in enumerate(rest):
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(ident, str) and ident in reviews:
            item = {**item, REVIEWS_KEY: reviews[ident]}
        if isinstance(ident, str) and ident in replies:
            item = {**item, REPLIES_KEY: replies[ident]}
        yield (f"annotation {ident}" if isinstance(ident, str) else f"annotation #{i + 1}"), item


REVIEWS_KEY = "annotate:reviews"
"""Where `w3c_records` puts the review annotations of an annotation, for the import."""
REPLIES_KEY = "annotate:replies"
"""Where `w3c_records` puts the replies to a Hypothesis annotation: they join its note."""


_DOC_SUFFIX = re.compile(r"\.(txt|json|html?)$")


@dataclass
class Lookup:
    """What an import reads annotations against: the corpus documents, their page URLs
    (with `--map`), and whether positions are of the annotated web page (Hypothesis: its
    TextPositionSelector counts the page's rendered text, not the corpus text)."""

    docs: dict[str, CorpusDocument]
    settings: ExportSettings
    pages: PageIndex | None = None
    claimant: str | None = None
    page_positions: bool = False

    def __post_init__(self) -> None:
        if self.pages is None:
            self.pages = PageIndex(self.docs)


def match_document(url: str, lookup: Lookup) -> tuple[CorpusDocument, bool]:
    """The corpus document an annotation target's source names, and whether it was named
    by a page URL (the document's url, one of its aliases, or `--map`) rather than by the
    app's own address or the document's id.

    By `--map`, by the documents' url and aliases (however the URL is dressed: see
    `page_key`), by `{base_url}/documents/<id>`, else by a document id that is one of the URL's
    path segments.

    :raise Unimportable: no document, or more than one, fits.
    """
    docs = lookup.docs
    assert lookup.pages is not None
    by_page = lookup.pages.find(url)
    if by_page is not None:
        return by_page, True
    wanted = url.split("#", 1)[0].rstrip("/")
    ours = f"{lookup.settings.base_url}/documents/"
    if wanted.lower().startswith(ours.lower()) and wanted[len(ours) :] in docs:
        return docs[wanted[len(ours) :]], False
    path = re.split(r"[?]", wanted, maxsplit=1)[0]
    segments = {_DOC_SUFFIX.sub("", s) for s in re.split(r"[/=&]", path) if s}
    found = sorted(segments & set(docs))
    if len(found) == 1:
        return docs[found[0]], False
    if found:
        raise Unimportable(f"source {url} names several documents: {', '.join(found)}")
    raise Unimportable(
        f"source {url} is not a document of the corpus (give the document its url with "
        "`annotate doc set ID --url URL`, or map it with --map URL=DOC)"
    )


def _quote_selectors(target: dict[str, Any]) -> list[dict[str, Any]]:
    """The target's selectors and their refinements: a quote is a quote wherever it is."""
    found = []
    for sel in _as_list(target.get("selector")):
        if isinstance(sel, dict):
            found.append(sel)
            found += [r for r in _as_list(sel.get("refinedBy")) if isinstance(r, dict)]
    return found


def _document_position(target: dict[str, Any]) -> dict[str, Any]:
    """The target's TextPositionSelector when it counts from the start of the whole
    document: one of the target's own selectors. One that refines another selector
    (`refinedBy` under an XPath, CSS or Range selector) counts inside that element, so it is
    never a document position."""
    for sel in _as_list(target.get("selector")):
        if isinstance(sel, dict) and "TextPositionSelector" in _types(sel):
            return sel
    return {}


def _int(value: Any) -> int | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


def anchor_target(
    target: Any, lookup: Lookup, fallback_source: str | None = None
) -> tuple[Anchor, bool]:
    """A W3C target (or a source body) with a TextQuoteSelector, as an anchor in the corpus,
    and whether its document was found by a page URL.

    :raise Unimportable: saying which part is missing or does not fit the corpus.
    """
    if isinstance(target, str):
        raise Unimportable(f"target {target} is a whole resource, with no quote to anchor")
    if not isinstance(target, dict):
        raise Unimportable("a target must be a URL or an object")
    source = _str(target.get("source")) or fallback_source
    if isinstance(target.get("source"), dict):
        source = _str(target["source"].get("id"))
    if not source:
        raise Unimportable("the target has no source")
    doc, by_page = match_document(source, lookup)
    sels = _quote_selectors(target)
    quote = next((s for s in sels if "TextQuoteSelector" in _types(s)), None)
    if quote is None or not _str(quote.get("exact")):
        raise Unimportable(f"the target on {source} has no TextQuoteSelector with an exact quote")
    position = _document_position(target)
    exact = _str(quote.get("exact")) or ""
    start, end = _int(position.get("start")), _int(position.get("end"))
    if target.get("orphaned") is True and start is not None and end is not None:
        # Our own export keeps an orphaned anchor at its last known place, quote and all.
        try:
            return Anchor(
                doc=doc.id,
                start=start,
                end=end,
                exact=exact,
                prefix=(_str(quote.get("prefix")) or "")[-200:],
                suffix=(_str(quote.get("suffix")) or "")[:200],
                orphaned=True,
            ), by_page
        except ValidationError as exc:
            raise Unimportable(f"orphaned target on {doc.id}: {error_details(exc)[0]}") from None
    if lookup.page_positions or end is None or start is None or end - start != len(exact):
        start = None  # a position in the web page's text, or not of this quote: no hint
    text = doc.text
    try:
        start, end = place_quote(
            text, exact, _str(quote.get("prefix")) or "", _str(quote.get("suffix")) or "", start
        )
    except ValueError as exc:
        raise Unimportable(f"in {doc.id}: {exc}") from None
    return make_anchor(doc.id, text, start, end), by_page


def _agent_name(agent: Any) -> str | None:
    for candidate in _as_list(agent):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.removeprefix("acct:").strip()[:500]
        if isinstance(candidate, dict):
            name = _str(candidate.get("name")) or _str(candidate.get("nickname"))
            if name and name.strip():
                return name.strip()[:500]
    return None


def _time(value: Any) -> dt.datetime | None:
    text = _str(value)
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _bodies(anno: dict[str, Any]) -> list[Any]:
    bodies = _as_list(anno.get("body"))
    if "bodyValue" in anno:
        bodies.append({"type": "TextualBody", "value": anno["bodyValue"]})
    if isinstance(anno.get("text"), str) and anno["text"].strip():  # Hypothesis
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": anno["text"]})
    for tag in _as_list(anno.get("tags")):  # Hypothesis
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": tag})
    return bodies


def _purposes(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    return [p.rsplit("#", 1)[-1] for p in _as_list(body.get("purpose")) if isinstance(p, str)]


def _claim_id(anno: dict[str, Any], statement: str) -> str:
    ident = _str(anno.get("id")) or ""
    last = ident.rstrip("/").rsplit("/", 1)[-1]
    if _CLAIM_ID.match(last):
        return last
    # Another tool's id: stable, so that importing the same file again finds the same claim
    # (also across versions of annotate: the stem is made as it was before ids transliterated
    # letters, by stripping accents only).
    digest = hashlib.sha256((ident or statement).encode()).hexdigest()[:8]
    return f"{accentless_stem(statement)[:50].strip('-')}-{digest}"


def accentless_stem(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(parts[:7])[:60].strip("-") or "claim"


def _source(body: dict[str, Any], lookup: Lookup) -> dict[str, Any]:
    source: dict[str, Any] = {"stance": _str(body.get("stance"))}
    if "selector" in body:
        source["quote"] = anchor_target(body, lookup)[0]
    else:
        page = body.get("source", body)
        page = page if isinstance(page, dict) else {"id": page}
        url = _str(page.get("id"))
        source["url"] = url
        source["title"] = _str(page.get("title")) or url
        for key in ("publisher", "date"):
            if _str(page.get(key)):
                source[key] = _str(page.get(key))
    if _str(body.get("note")):
        source["note"] = _str(body.get("note"))
    return source


def _tool(anno: dict[str, Any]) -> str:
    """Which tool made an annotation, as the history says it."""
    if "user" in anno and "uri" in anno:
        return "Hypothesis"
    generator = anno.get("generator")
    name = _str(generator.get("name")) if isinstance(generator, dict) else _str(generator)
    return name.strip()[:100] if name and name.strip() else "another tool"


@dataclass
class Imported:
    """A claim read from a record of another tool, and what goes with it: the note for the
    history, and the page URLs that name each document it was found in (aliases)."""

    claim: Claim
    note: str | None = None
    links: dict[str, list[str]] = field(default_factory=dict)


def page_links(anno: dict[str, Any]) -> list[str]:
    """Every http(s) URL an annotation gives for its page: `uri`, the targets' sources and
    Hypothesis's `document.link` (canonical, alternate, AMP and the like)."""
    urls = [_str(anno.get("uri"))]
    urls += [_str(t.get("source")) for t in _as_list(anno.get("target")) if isinstance(t, dict)]
    document = anno.get("document")
    if isinstance(document, dict):
        urls += [_str(x.get("href")) for x in _as_list(document.get("link")) if isinstance(x, dict)]
    out: list[str] = []
    for url in urls:
        if url and re.match(r"^https?://[^\s/$.?#][^\s]*$", url, re.I) and len(url) <= 2000:
            if url not in out:
                out.append(url)
    return out


def tag_list(values: list[str]) -> list[str]:
    """Tags as given, each once (letter case aside), in their order; one with commas is
    the tags it lists (a tag has none)."""
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            tag = " ".join(part.split())
            if tag and tag.casefold() not in {t.casefold() for t in out}:
                out.append(tag)
    return out


def claim_from_annotation(anno: Any, lookup: Lookup, actor: str) -> Imported:
    if not isinstance(anno, dict):
        raise Unimportable("an annotation must be a JSON object")
    targets = _as_list(anno.get("target"))
    if not targets:
        raise Unimportable("the annotation has no target")
    fallback = _str(anno.get("uri"))  # Hypothesis names the page beside the target
    if _tool(anno) == "Hypothesis" and not lookup.page_positions:
        # Its positions count the rendered page's text, whichever format it came in as.
        lookup = replace(lookup, page_positions=True)
    appearances, paged = [], set()
    for i, target in enumerate(targets):
        try:
            anchor, by_page = anchor_target(target, lookup, fallback)
        except Unimportable as exc:
            raise Unimportable(f"target {i + 1}: {exc}") from None
        appearances.append(anchor)
        if by_page:
            paged.add(anchor.doc)

    read = _read_bodies(_bodies(anno), lookup)
    for reply in _as_list(anno.get(REPLIES_KEY)):
        said = _str(reply.get("text"))
        if said and said.strip():
            who = _agent_name(reply.get("user")) or _agent_name(reply.get("creator")) or "someone"
            read.notes.append(f"{who} replied: {said.strip()}")
    statement = " ".join((read.described or appearances[0].exact).split())[:20_000]
    claimant = anno.get("claimant")
    claimant_type = next((t for t in _types(claimant) if t in ("Person", "Organization")), None)
    created = _time(anno.get("created")) or clock.now()
    creator = _agent_name(anno.get("creator")) or _agent_name(anno.get("user"))
    ident = _str(anno.get("id"))
    data: dict[str, Any] = {
        "id": _claim_id(anno, statement),
        "version": 1,
        "statement": statement,
        "claimant": _agent_name(claimant) or lookup.claimant or UNKNOWN_CLAIMANT,
        "claimant_type": claimant_type,
        "claim_date": _str(anno.get("claimDate")),
        "claim_month": _str(anno.get("claimMonth")),
        "appearances": appearances,
        "tags": tag_list(read.tags),
        "relations": read.relations,
        "question": anno.get("question"),
        "note": "\n\n".join(read.notes) or None,
        "created_at": created,
        "created_by": creator or actor,
        "updated_at": _time(anno.get("modified")) or _time(anno.get("updated")) or created,
    }
    if creator:
        # Who annotated made the claim: its history starts with them, as it would in the app.
        data["history"] = [
            {
                "version": 1,
                "at": created,
                "by": creator,
                "action": "created",
                "note": f"annotated in {_tool(anno)}"
                + (f" ({ident})" if ident else "")
                + (f", group {_str(anno.get('group'))}" if _str(anno.get("group")) else ""),
            }
        ]
    if read.verdict is not None:
        data.update(read.verdict)
        data["reviewer"] = data["reviewer"] or actor
        data["reviewed_at"] = data["reviewed_at"] or created
    reviews: dict[str, Any] = {}
    for i, item in enumerate(_as_list(anno.get(REVIEWS_KEY))):
        review = _read_bodies(_bodies(item), lookup).verdict
        name = _agent_name(item.get("creator")) or (review or {}).get("reviewer")
        if review is None or not name:
            raise Unimportable(f"review {i + 1}: no verdict, or no reviewer named")
        reviews[name] = {
            "verdict": review["verdict"],
            "rationale": review["rationale"],
            "sources": review["sources"],
            **({"basis": review["basis"]} if review.get("basis") else {}),
            "reviewed_at": review["reviewed_at"] or _time(item.get("created")) or created,
        }
    if reviews:
        data["reviews"] = reviews
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        raise Unimportable(
            "; ".join(f"{d['field']}: {d['message']}" for d in error_details(exc))
        ) from None
    note = "; ".join(read.comments)[:2000] if read.comments else None
    links = page_links(anno)
    return Imported(claim, note, {doc: links for doc in sorted(paged)} if links else {})


UNKNOWN_CLAIMANT = "unknown"
"""The claimant of an imported claim whose annotation names none (and no --claimant is
given): a claim must name one, and an annotator is not one; a reviewer sets it."""


@dataclass
class Bodies:
    """An annotation's bodies read: its description, its verdict (verdict, rationale,
    reviewer, reviewed_at, sources; None without one), its comments (the claim's note), its
    tags, and what else it says (for the history)."""

    described: str | None = None
    verdict: dict[str, Any] | None = None
    relations: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


RELATION_KINDS = ("repeats", "contradicts", "supports")


def _relation(body: dict[str, Any], i: int) -> dict[str, str]:
    """A `linking` body with a `relation` (as `annotation` writes one): its kind and the
    claim id at the end of the other annotation's IRI (`.../annotations/<claim id>`).

    :raise Unimportable: an unknown kind, or an IRI that names no claim id."""
    kind = _str(body.get("relation"))
    if kind is not None:
        kind = kind.rsplit("#", 1)[-1].rsplit(":", 1)[-1]
    if kind not in RELATION_KINDS:
        raise Unimportable(
            f"body {i + 1} (a relation): relation {body.get('relation')!r} is not one of "
            f"{', '.join(RELATION_KINDS)}"
        )
    target = body.get("source", body.get("id"))
    if isinstance(target, dict):
        target = target.get("id")
    other = (_str(target) or "").rstrip("/").rsplit("/", 1)[-1]
    if not _CLAIM_ID.match(other):
        raise Unimportable(
            f"body {i + 1} (a relation): {target!r} is not the IRI of a claim's annotation"
        )
    return {"kind": kind, "claim": other}


def _read_bodies(bodies: list[Any], lookup: Lookup) -> Bodies:
    """An annotation's bodies read (see `Bodies`)."""
    read = Bodies()
    classified = assessed = None
    sources: list[dict[str, Any]] = []
    for i, body in enumerate(bodies):
        purposes = _purposes(body)
        value = _str(body.get("value")) if isinstance(body, dict) else _str(body)
        if isinstance(body, dict) and "stance" in body:
            try:
                sources.append(_source(body, lookup))
            except Unimportable as exc:
                raise Unimportable(f"body {i + 1} (a source): {exc}") from None
        elif isinstance(body, dict) and "relation" in body:
            read.relations.append(_relation(body, i))
        elif "describing" in purposes and value and read.described is None:
            read.described = value
        elif "classifying" in purposes and value in VERDICTS and classified is None:
            classified = body
        elif "assessing" in purposes and value and assessed is None:
            assessed = body
        elif "commenting" in purposes and value and value.strip():
            read.notes.append(value.strip())
        elif "tagging" in purposes and value and value.strip():
            read.tags.append(value)
        elif value:
            read.comments.append(f"{purposes[0]}: {value}" if purposes else value)
        elif isinstance(body, dict) and _str(body.get("id")):
            read.comments.append(f"linked: {_str(body.get('id'))}")
    if classified is None:
        read.comments += [f"source without a verdict: {s.get('url') or 'a quote'}" for s in sources]
        return read
    review = assessed or {}
    verdict = {
        "verdict": _str(classified.get("value")),
        "rationale": _str(review.get("value")),
        "reviewer": _agent_name(review.get("creator")) or _agent_name(classified.get("creator")),
        "reviewed_at": _time(review.get("created")) or _time(classified.get("created")),
        "sources": sources,
    }
    basis = _str(classified.get("basis"))
    if basis:
        verdict["basis"] = basis
    read.verdict = verdict
    return read
