"""The `claimreview` export: a JSON-LD array of schema.org `ClaimReview`s, one per reviewed
claim, as Google's fact-check markup guide describes them. The verdict is the rating's
`alternateName` on a numeric scale from 1 (worst) to 3 (best): Denied = 1, Disputed = 2,
Confirmed = 3; a disputed verdict whose basis is `unsubstantiated` is named Unproven (still 2:
nothing decisive against it, no independent support for it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..errors import NotPublishable, detail
from ..record.corpus import CorpusDocument
from ..record.models import AgentType, Claim
from ..record.service import Workspace
from .common import STREAMED, ExportSettings, json_chunks

RATINGS: dict[str, tuple[int, str]] = {
    "denied": (1, "Denied"),
    "disputed": (2, "Disputed"),
    "confirmed": (3, "Confirmed"),
}
"""The verdict as a schema.org `Rating`: value on a 1 (worst) to 3 (best) scale, and name."""
UNPROVEN = "Unproven"
"""The rating's name for a `disputed` verdict whose basis is `unsubstantiated`."""
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
    claim: Claim,
    docs: Mapping[str, CorpusDocument],
    settings: ExportSettings,
    outlets: set[str] | None = None,
) -> dict[str, Any]:
    """One reviewed claim as a schema.org ClaimReview (Google's fact-check markup).
    `outlets`: the documents' outlets (`_outlets(docs)`), when the caller has them already
    (made per claim, they made the export of 100,000 claims on 10,000 documents quadratic)."""
    if claim.verdict is None or claim.reviewed_at is None:
        raise ValueError(f"claim '{claim.id}' has no verdict")
    value, name = RATINGS[claim.verdict]
    if claim.verdict == "disputed" and claim.basis == "unsubstantiated":
        name = UNPROVEN
    appearances = _appearances(claim, docs, settings)
    item: dict[str, Any] = {
        "@type": "Claim",
        "author": {
            "@type": claimant_type(claim, _outlets(docs) if outlets is None else outlets),
            "name": claim.claimant,
        },
    }
    if claim.claim_date:
        item["datePublished"] = claim.claim_date.isoformat()
    # The earliest dated appearance is the first; `appearance` lists the others (Google's
    # markup: "links to works in which this claim appears, aside from the first").
    first = next((a for a in appearances if "datePublished" in a), None)
    if first is not None:
        item["firstAppearance"] = first
    others = [a for a in appearances if a is not first]
    if others:
        item["appearance"] = others
    author: dict[str, Any] = {
        "@type": "Organization",
        "name": settings.org_name,
        "url": settings.organisation_url,
    }
    if settings.org_logo:
        author["logo"] = {"@type": "ImageObject", "url": settings.org_logo}
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "@id": settings.claim_review_id(claim.id),
        "url": settings.claim_url(claim.id),
        "claimReviewed": claim.short_statement or claim.statement,
        "reviewBody": claim.rationale,
        "author": author,
        "datePublished": claim.reviewed_at.date().isoformat(),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "name": name,
            "alternateName": name,
        },
        "itemReviewed": item,
    }


def export_claimreview(ws: Workspace, settings: ExportSettings) -> Iterator[str]:
    """A JSON-LD array of ClaimReviews, one per reviewed claim, sorted by claim id.

    :raise NotPublishable: the base URL (or the organisation's URL or logo) is not public.
    """
    problem = settings.publish_problem()
    if problem is not None:
        raise NotPublishable(problem, [detail("publish", problem)])
    docs = {d.id: d for d in ws.corpus.documents()}
    outlets = _outlets(docs)
    reviews = (claim_review(c, docs, settings, outlets) for c in ws.each_claim() if c.verdict)
    return json_chunks(lambda _: STREAMED, reviews)
