"""The editorial checks of `annotate check`: what a desk's standard asks of a record beyond its
mechanics (docs/checks.md, docs/standard.md). Each finding has a stable code and is a warning:
`annotate check` reports it and exits 0, `--strict` fails on it.

The per-claim checks run where the claim files are read (in `check`'s worker processes); the
one across claims (near-duplicate claimant names) runs after them, on the names alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from .models import SHORT_STATEMENT_ADVISED, Anchor, Claim, Source

EDITORIAL: dict[str, str] = {
    "self-citation": "a source quote overlaps one of the claim's own appearances",
    "single-document-support": "a confirmed verdict whose support all comes from one document",
    "claimant-only-support": "a confirmed verdict supported only by the claimant's own words "
    "(every supporting quote in a paragraph where the claim itself appears)",
    "dated-after-publication": "a claim date (or month) after the publication of a document it "
    "appears in",
    "similar-claimants": "claimant names that are near-duplicates of each other",
    "url-source-no-publisher": "a URL source without a publisher",
    "url-source-undated": "a URL source without a date",
    "in-review": "a claim in review: fewer reviews than the desk requires",
    "disagreement": "a claim whose reviews disagree, or reopened after its final verdict",
    "evidence-changed": "a verdict whose cited evidence moved, was orphaned or had its "
    "document's text replaced since it was given: reopened until it is confirmed again",
    "claim-reviewed-long": "a claim with a verdict whose published `claimReviewed` (its short "
    f"form, else its statement) is over {SHORT_STATEMENT_ADVISED} characters",
}
"""Every editorial check's code and what it finds (the order `annotate check --help` lists)."""

EVIDENCE_CHANGED = "evidence changed"
"""How the `reopened` note of a claim whose cited evidence changed begins."""

MIN_NAME = 4
"""Claimant names shorter than this (normalised) are never compared: "UN" is not "UNDP"."""
MIN_RATIO_NAME = 8
"""Both names at least this long (normalised) for the spelling rule."""
RATIO = 90.0
"""The spelling rule: rapidfuzz's `fuzz.ratio` (normalised Indel similarity, 0-100) of two
normalised names at or above this: "Grigor Ataneysan" and "Grigor Atanesyan" (94), "Serzh
Sargsyan" and "Serzh Sargsian" (93); "Ministry of Defence of Russia" and "… of Armenia" (88)
stay apart."""


@dataclass(frozen=True)
class Finding:
    """One editorial finding on one claim: its code, the field, what is wrong."""

    code: str
    field: str
    message: str
    doc: str | None = None
    start: int | None = None
    end: int | None = None


def _overlaps(a: Anchor, b: Anchor) -> bool:
    return a.doc == b.doc and a.start < b.end and b.start < a.end


def _verdicts(claim: Claim) -> Iterator[tuple[str, str | None, list[Source]]]:
    """What the editorial checks read: the final verdict, and each review while there is no
    settled final verdict yet (field prefix, verdict, sources). Once a final verdict is set
    and not reopened, it is what the desk publishes, and the reviews stay as the record of
    how it was reached: a review's own flaw (a self-citation the adjudicator did not take
    over) is history then, not a fault of the record."""
    yield "", claim.verdict, claim.sources
    if claim.verdict is not None and claim.reopened is None:
        return
    for name, review in sorted(claim.reviews.items()):
        yield f"reviews.{name}.", review.verdict, review.sources


def _paragraph(text: str, at: int) -> tuple[int, int]:
    """The paragraph (a line of the text) around offset `at`."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def claim_findings(
    claim: Claim, texts: Mapping[str, str], published: Mapping[str, dt.date | None]
) -> list[Finding]:
    """The editorial findings on one claim. `texts` are the corpus texts known (a document
    missing from it is left out of the paragraph rule), `published` the documents' dates."""
    out: list[Finding] = []
    appearances = [a for a in claim.appearances if not a.orphaned]
    for prefix, verdict, sources in _verdicts(claim) if claim.sources or claim.reviews else ():
        for i, s in enumerate(sources):
            field = f"{prefix}sources[{i}]"
            q = s.quote
            if q is not None and not q.orphaned:
                hit = next((a for a in appearances if _overlaps(q, a)), None)
                if hit is not None:
                    out.append(
                        Finding(
                            "self-citation",
                            f"{field}.quote",
                            f"the {s.stance} quote {q.exact[:60]!r} overlaps the claim's own "
                            f"appearance in {q.doc} at {hit.start}-{hit.end}: a claim is not "
                            "its own evidence",
                            q.doc,
                            q.start,
                            q.end,
                        )
                    )
            if s.url is not None:
                if not s.publisher:
                    out.append(
                        Finding(
                            "url-source-no-publisher",
                            field,
                            f"the URL source {s.url} names no publisher: name who published "
                            "it (the primary source, not an aggregator)",
                        )
                    )
                if s.date is None:
                    out.append(
                        Finding(
                            "url-source-undated",
                            field,
                            f"the URL source {s.url} has no date: give the date it was published",
                        )
                    )
        if verdict == "confirmed":
            out += _support_findings(claim, prefix, sources, appearances, texts)
    said = claim.claim_date.isoformat() if claim.claim_date else claim.claim_month
    if said is not None:  # a day, or a month compared with the publication's month
        field = "claim_date" if claim.claim_date else "claim_month"
        late = sorted(
            {
                (d, a.doc)
                for a in claim.appearances
                if (d := published.get(a.doc)) is not None and said > d.isoformat()[: len(said)]
            }
        )
        for date, doc in late:
            out.append(
                Finding(
                    "dated-after-publication",
                    field,
                    f"{field} {said} is after {doc} was published ({date}), "
                    "and the claim appears in it",
                    doc,
                )
            )
    out += _review_findings(claim)
    published_text = claim.short_statement or claim.statement
    if claim.verdict is not None and len(published_text) > SHORT_STATEMENT_ADVISED:
        field = "short_statement" if claim.short_statement else "statement"
        out.append(
            Finding(
                "claim-reviewed-long",
                field,
                f"the {'short form' if claim.short_statement else 'statement'} published as "
                f"ClaimReview's claimReviewed is {len(published_text)} characters, over "
                f"{SHORT_STATEMENT_ADVISED}: give the claim a short form (short_statement) "
                "that says the same in fewer words",
            )
        )
    return out


def _support_findings(
    claim: Claim,
    prefix: str,
    sources: list[Source],
    appearances: list[Anchor],
    texts: Mapping[str, str],
) -> list[Finding]:
    support = [s for s in sources if s.stance == "supports"]
    quotes = [s.quote for s in support if s.quote is not None]
    if not support or len(quotes) < len(support):
        return []  # a URL's support is another document (its independence is the reviewer's)
    out: list[Finding] = []
    docs = sorted({q.doc for q in quotes})
    if len(docs) == 1:
        out.append(
            Finding(
                "single-document-support",
                f"{prefix}sources",
                f"confirmed on support from one document only ({docs[0]}): one report is "
                "not confirmation; cite independent support, or call it disputed "
                "(unsubstantiated)",
                docs[0],
            )
        )
    own = []
    for q in quotes:
        text = texts.get(q.doc)
        if text is None:
            return out  # the paragraph is not known: say nothing
        start, end = _paragraph(text, q.start)
        own.append(any(a.doc == q.doc and a.start < end and start < a.end for a in appearances))
    if all(own):
        out.append(
            Finding(
                "claimant-only-support",
                f"{prefix}sources",
                "confirmed on the claimant's own words only: every supporting quote is in a "
                "paragraph where the claim itself appears; cite support independent of "
                f"{claim.claimant}'s own report",
            )
        )
    return out


def _review_findings(claim: Claim) -> list[Finding]:
    if claim.verdict is None and not claim.reviews:
        return []  # unreviewed: nothing to report
    status = claim.review_status
    if claim.reopened is not None and claim.reopened.startswith(EVIDENCE_CHANGED):
        return [
            Finding(
                "evidence-changed",
                "reopened",
                f"reopened: {claim.reopened}; check the evidence and confirm the verdict "
                "(or set it again)",
            )
        ]
    moved = evidence_moved_since(claim)
    if moved:
        return [
            Finding(
                "evidence-changed",
                "reviewed_at",
                f"the cited evidence changed after the verdict was given ({', '.join(moved)}): "
                "check it and confirm the verdict (or set it again)",
            )
        ]
    if status == "in review":
        return [
            Finding(
                "in-review",
                "reviews",
                f"in review: {len(claim.reviews)} review(s) so far, no final verdict yet",
            )
        ]
    if status == "disagreement":
        why = claim.reopened or "the reviews differ: " + ", ".join(
            f"{n} {r.verdict}" for n, r in sorted(claim.reviews.items())
        )
        return [Finding("disagreement", "reviews", f"in disagreement: {why}")]
    return []


def cited_fields(field: str) -> bool:
    """Whether an anchor path is a quote cited by the final verdict (`sources[i].quote`)."""
    return field.startswith("sources[")


def evidence_moved_since(claim: Claim) -> list[str]:
    """The cited quotes of the final verdict that re-anchoring changed after it was given
    (from the history's `reanchored` entries later than `reviewed_at`)."""
    if claim.verdict is None or claim.reviewed_at is None:
        return []
    fields: list[str] = []
    for change in claim.history:
        if change.action != "reanchored" or change.at <= claim.reviewed_at:
            continue
        fields += [f for f in change.changes if cited_fields(f) and f not in fields]
    return fields


def _normal(name: str) -> str:
    return str(utils.default_process(name))


def similar_names(names: list[str]) -> list[tuple[str, str, str]]:
    """Pairs of near-duplicate names among `names` (each pair once, sorted), with the rule
    that matched: `spelling` (`fuzz.ratio` ≥ `RATIO`, both at least `MIN_RATIO_NAME`
    characters) or `contained` (every word of the shorter is a word of the longer: "BBC
    News" in "BBC News Україна"). Names shorter than `MIN_NAME` characters are left out;
    names that differ only in case, spaces or punctuation are near-duplicates too."""
    normal = {n: _normal(n) for n in sorted(set(names))}
    kept = [n for n in normal if len(normal[n]) >= MIN_NAME]
    found: dict[tuple[str, str], str] = {}
    words = {n: frozenset(normal[n].split()) for n in kept}
    postings: dict[str, set[str]] = {}
    for n in kept:
        for w in words[n]:
            postings.setdefault(w, set()).add(n)
    for n in kept:
        others = set.intersection(*(postings[w] for w in words[n])) - {n}
        for m in others:
            if words[n] <= words[m]:
                found.setdefault((min(n, m), max(n, m)), "contained")
    long = [n for n in kept if len(normal[n]) >= MIN_RATIO_NAME]
    choices = [normal[n] for n in long]
    for i, n in enumerate(long):
        for _, score, j in process.extract(
            normal[n], choices, scorer=fuzz.ratio, score_cutoff=RATIO, limit=None
        ):
            if j > i:
                found.setdefault((n, long[j]), f"spelling, {score:.0f}")
    return sorted((a, b, rule) for (a, b), rule in found.items())
