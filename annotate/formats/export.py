"""Exports of the record. Every format is deterministic: the same store gives the same bytes.

Formats (`FORMATS` is the one registry; the CLI and the web app both use it):

- `json`: `{"claims": [...], "documents": [...]}`, everything needed to restore the store.
- `csv`: one row per claim for spreadsheets; no cell can start a formula.
- `claimreview`: a JSON-LD array of schema.org `ClaimReview`s, one per reviewed claim, as
  Google's fact-check markup guide describes them. The verdict is the rating's `alternateName`
  on a numeric scale from 1 (worst) to 3 (best): Denied = 1, Disputed = 2, Confirmed = 3.
- `w3c`: a W3C Web Annotation `AnnotationCollection` with one `assessing` annotation per
  claim: statement, verdict and rationale as bodies, sources as linked resources, each
  appearance a target with a `TextQuoteSelector` and a `TextPositionSelector`.

Public URLs (review pages, annotations, documents without a url of their own) and the
reviewing organisation come from `ExportSettings`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..record.corpus import CorpusDocument
from ..record.models import AgentType, Anchor, Claim, Source
from ..record.service import Workspace
from ..record.store import to_json

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_ORG_NAME = "annotate fact-check desk"


@dataclass(frozen=True)
class ExportSettings:
    """Where the record is published and who publishes it (for claimreview and w3c)."""

    base_url: str = DEFAULT_BASE_URL
    org_name: str = DEFAULT_ORG_NAME
    org_url: str | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", self.base_url, re.IGNORECASE):
            raise ValueError(f"base URL must be an http:// or https:// URL, not {self.base_url!r}")
        # Frozen: normalise through object.__setattr__ so that `a/` and `a` give the same URLs.
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.org_url is not None and not re.match(
            r"^https?://[^\s/$.?#][^\s]*$", self.org_url, re.IGNORECASE
        ):
            raise ValueError(
                f"organisation URL must be an http:// or https:// URL, not {self.org_url!r}"
            )
        if not self.org_name.strip():
            raise ValueError("the organisation name must not be empty")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExportSettings:
        """Settings from `ANNOTATE_BASE_URL`, `ANNOTATE_ORG_NAME` and `ANNOTATE_ORG_URL`."""
        env = os.environ if environ is None else environ
        return cls(
            base_url=env.get("ANNOTATE_BASE_URL") or DEFAULT_BASE_URL,
            org_name=env.get("ANNOTATE_ORG_NAME") or DEFAULT_ORG_NAME,
            org_url=env.get("ANNOTATE_ORG_URL") or None,
        )

    @property
    def organisation_url(self) -> str:
        """The reviewing organisation's URL: `org_url`, else the base URL."""
        return self.org_url or self.base_url

    def claim_url(self, claim_id: str) -> str:
        """The public page of a claim's review."""
        return f"{self.base_url}/claims/{claim_id}"

    def annotation_url(self, claim_id: str) -> str:
        """The IRI of a claim as a W3C annotation."""
        return f"{self.base_url}/annotations/{claim_id}"

    def document_url(self, doc_id: str, doc: CorpusDocument | None = None) -> str:
        """A document's own url when its metadata has one, else its page in the app."""
        if doc is not None and doc.meta.url:
            return doc.meta.url
        return f"{self.base_url}/documents/{doc_id}"


@dataclass(frozen=True)
class Format:
    """An export format: how to make it, its media type and file extension."""

    name: str
    render: Callable[[Workspace, ExportSettings], str]
    media_type: str
    extension: str


def export_json(ws: Workspace, settings: ExportSettings) -> str:
    """`{"claims": [...], "documents": [...]}`, both sorted by id."""
    claims = [c.public() for c in ws.store.claims()]
    docs = [d.info().model_dump(mode="json", exclude_none=True) for d in ws.corpus.documents()]
    return to_json({"claims": claims, "documents": docs})


CSV_COLUMNS = [
    "id",
    "statement",
    "claimant",
    "claim_date",
    "verdict",
    "rationale",
    "reviewer",
    "reviewed_at",
    "documents",
    "appearances",
    "quotes",
    "supporting_sources",
    "refuting_sources",
    "context_sources",
    "urls",
    "version",
]


def spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def export_csv(ws: Workspace, settings: ExportSettings) -> str:
    """One row per claim, for spreadsheets; no cell can start a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in ws.store.claims():
        stances = [s.stance for s in c.sources]
        row = [
            c.id,
            c.statement,
            c.claimant,
            c.claim_date.isoformat() if c.claim_date else "",
            c.status,
            c.rationale or "",
            c.reviewer or "",
            c.reviewed_at.isoformat() if c.reviewed_at else "",
            " ".join(sorted({a.doc for a in c.appearances})),
            str(len(c.appearances)),
            " | ".join(a.exact for a in c.appearances),
            str(stances.count("supports")),
            str(stances.count("refutes")),
            str(stances.count("context")),
            " ".join(s.url for s in c.sources if s.url),
            str(c.version),
        ]
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


# -- ClaimReview (schema.org) ---------------------------------------------------------------

RATINGS: dict[str, tuple[int, str]] = {
    "denied": (1, "Denied"),
    "disputed": (2, "Disputed"),
    "confirmed": (3, "Confirmed"),
}
"""The verdict as a schema.org `Rating`: value on a 1 (worst) to 3 (best) scale, and name."""
WORST_RATING = 1
BEST_RATING = 3

_INSTITUTION = re.compile(
    r"\b(ministry|ministries|mod|kremlin|government|office|agency|agencies|council|committee|"
    r"department|service|services|army|forces|armed|headquarters|parliament|assembly|senate|"
    r"presidency|administration|embassy|commission|institute|university|foundation|"
    r"association|union|party|news|press|times|post|bbc|tass|ria|reuters|inc|ltd|llc|corp|"
    r"company|group|bank|court|police|staff|command|centre|center|organi[sz]ation|"
    r"republic|state|states|nato|un|osce|eu)\b",
    re.IGNORECASE,
)


_GROUP = re.compile(
    r"\b(experts|journalists|analysts|officials|media|sources|residents|observers|"
    r"authorities|citizens|commentators|politicians|lawmakers|activists|witnesses)\b",
    re.IGNORECASE,
)


def guess_agent_type(name: str, organisations: Iterable[str] = ()) -> AgentType:
    """Whether a name reads as a Person or an Organization.

    What is in parentheses is a role or an affiliation ("Dmitry Peskov (Kremlin spokesman)")
    and is left out. An Organization is a known one (the corpus's outlets), a name with an
    institution word (ministry, agency, Kremlin, news…), an acronym of three or more capitals
    (ANAMA), a CamelCase brand (AzerNews) or a group (experts, journalists, media…).
    """
    head = re.sub(r"\s*\([^)]*\)", " ", name).strip() or name
    if head.casefold() in {o.casefold() for o in organisations}:
        return "Organization"
    if (
        _INSTITUTION.search(head)
        or _GROUP.search(head)
        or re.search(r"\b[A-Z]{3,}\b", head)
        or re.search(r"[a-z][A-Z]", head)
    ):
        return "Organization"
    return "Person"


def claimant_type(claim: Claim, organisations: Iterable[str] = ()) -> AgentType:
    """The claimant's agent type: as recorded on the claim, else guessed from the name."""
    return claim.claimant_type or guess_agent_type(claim.claimant, organisations)


def _creative_work(
    doc_id: str, doc: CorpusDocument | None, settings: ExportSettings
) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "url": settings.document_url(doc_id, doc)}
    if doc is None:
        return work
    meta = doc.meta
    work["headline"] = meta.title
    work["inLanguage"] = meta.language
    if meta.outlet:
        work["publisher"] = {"@type": "Organization", "name": meta.outlet}
    if meta.author:
        work["author"] = {"@type": "Person", "name": meta.author}
    if meta.published:
        work["datePublished"] = meta.published.isoformat()
    return work


def _appearances(
    claim: Claim, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> list[dict[str, Any]]:
    """One CreativeWork per document the claim appears in: dated ones by date, then by id."""
    doc_ids = sorted({a.doc for a in claim.appearances})

    def key(doc_id: str) -> tuple[int, str, str]:
        doc = docs.get(doc_id)
        published = doc.meta.published if doc is not None else None
        return (0, published.isoformat(), doc_id) if published else (1, "", doc_id)

    return [_creative_work(d, docs.get(d), settings) for d in sorted(doc_ids, key=key)]


def _outlets(docs: Mapping[str, CorpusDocument]) -> set[str]:
    return {d.meta.outlet for d in docs.values() if d.meta.outlet}


def claim_review(
    claim: Claim, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    """One reviewed claim as a schema.org ClaimReview (Google's fact-check markup)."""
    if claim.verdict is None or claim.reviewed_at is None:
        raise ValueError(f"claim '{claim.id}' has no verdict")
    value, name = RATINGS[claim.verdict]
    appearances = _appearances(claim, docs, settings)
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": {"@type": claimant_type(claim, _outlets(docs)), "name": claim.claimant},
        "appearance": appearances,
    }
    if claim.claim_date:
        item["datePublished"] = claim.claim_date.isoformat()
    dated = [a for a in appearances if "datePublished" in a]
    if dated:
        item["firstAppearance"] = dated[0]
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": settings.claim_url(claim.id),
        "claimReviewed": claim.statement,
        "reviewBody": claim.rationale,
        "author": {
            "@type": "Organization",
            "name": settings.org_name,
            "url": settings.organisation_url,
        },
        "datePublished": claim.reviewed_at.date().isoformat(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": name,
        },
        "itemReviewed": item,
    }


def export_claimreview(ws: Workspace, settings: ExportSettings) -> str:
    """A JSON-LD array of ClaimReviews, one per reviewed claim, sorted by claim id."""
    docs = {d.id: d for d in ws.corpus.documents()}
    reviews = [claim_review(c, docs, settings) for c in ws.store.claims() if c.verdict]
    return to_json(reviews)


# -- W3C Web Annotation ---------------------------------------------------------------------

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
W3C_MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def w3c_context(settings: ExportSettings) -> list[Any]:
    """The annotation context plus the few terms of ours the W3C vocabulary has no word for.

    `claimant` (who asserts the claim, a FOAF agent), `claimDate`, a source's `stance` and
    `note`, and an anchor's `orphaned` flag live in the publishing instance's namespace
    (`{base_url}/ns#`); a cited web page's `title`, `publisher` and `date` are Dublin Core.
    """
    return [
        ANNO_CONTEXT,
        {
            "annotate": f"{settings.base_url}/ns#",
            "claimant": "annotate:claimant",
            "claimDate": {"@id": "annotate:claimDate", "@type": "xsd:date"},
            "stance": "annotate:stance",
            "note": "annotate:note",
            "orphaned": "annotate:orphaned",
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


def annotation(
    claim: Claim, docs: Mapping[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    """One claim as a W3C Web Annotation with motivation `assessing`."""
    bodies: list[dict[str, Any]] = [
        {
            "type": "TextualBody",
            "purpose": "describing",
            "value": claim.statement,
            "format": "text/plain",
        }
    ]
    if claim.verdict is not None and claim.reviewer and claim.reviewed_at:
        reviewer = _agent(claim.reviewer)
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "classifying",
                "value": claim.verdict,
                "creator": reviewer,
                "created": _timestamp(claim.reviewed_at),
            }
        )
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": claim.rationale,
                "format": "text/plain",
                "creator": reviewer,
                "created": _timestamp(claim.reviewed_at),
            }
        )
        bodies += [_source_body(s, docs, settings) for s in claim.sources]
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
    return anno


def export_w3c(ws: Workspace, settings: ExportSettings) -> str:
    """An AnnotationCollection of one annotation per claim, in one inline page."""
    docs = {d.id: d for d in ws.corpus.documents()}
    items = [annotation(c, docs, settings) for c in ws.store.claims()]
    collection_id = f"{settings.base_url}/annotations"
    collection: dict[str, Any] = {
        "@context": w3c_context(settings),
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": f"Claims and verdicts of {settings.org_name}",
        "total": len(items),
    }
    # The model has no empty page: a collection of nothing has no `first`.
    if items:
        # Each level carries the context, so that a page or an annotation taken out of the
        # collection is still complete JSON-LD (the W3C test suite checks them so).
        collection["first"] = {
            "@context": w3c_context(settings),
            "id": f"{collection_id}?page=0",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        }
    return to_json(collection)


FORMATS: dict[str, Format] = {
    "json": Format("json", export_json, "application/json", "json"),
    "csv": Format("csv", export_csv, "text/csv; charset=utf-8", "csv"),
    "claimreview": Format("claimreview", export_claimreview, "application/ld+json", "jsonld"),
    "w3c": Format("w3c", export_w3c, W3C_MEDIA_TYPE, "jsonld"),
}


def export(ws: Workspace, fmt: str, settings: ExportSettings | None = None) -> str:
    """The export in one of `FORMATS` (default settings when none are given).

    :raise KeyError: for an unknown format.
    """
    return FORMATS[fmt].render(ws, settings or ExportSettings())
