"""A save that lost a race: their version beside the reviewer's, field by field.

When someone else saved a claim between the moment a reviewer loaded it and the moment they
saved (a stale version, 412 in the API), the panel shows what the other person saved next to
what the reviewer typed, marks the fields that differ, and keeps the typed form so that they
can take theirs, keep their own (save again, now against the current version) or merge by
hand. This module builds that comparison from the current claim and the refused form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..record.models import Claim, Source
from ..record.reviews import final_choices, review_choices
from ..record.revisions import field_at

COMPARED = ("verdict", "adjudicate", "review", "edit")
"""The panel forms whose refused values are compared with the current claim field by field
(the others add to a list: the panel shows the list as it is now, the form keeps the entry)."""


@dataclass(frozen=True)
class Row:
    """One field of the comparison."""

    field: str
    label: str
    theirs: list[str]
    yours: list[str]
    take: str | None = None
    """Their value as the form field takes it (for "use theirs"); None: not a form field."""
    compared: bool = True
    """False for the time (a save not made yet has none): never marked as differing."""

    @property
    def differs(self) -> bool:
        return self.compared and self.theirs != self.yours


@dataclass(frozen=True)
class Comparison:
    section: str
    by: str | None
    at: str | None
    version: int
    whose: str
    """Whose values the "theirs" column holds, in words."""
    rows: list[Row]
    note: str | None = None

    @property
    def differing(self) -> list[str]:
        return [r.label for r in self.rows if r.differs]


def _source_line(s: Source | Mapping[str, Any], titles: Mapping[str, str]) -> str:
    d = s.model_dump(mode="json") if isinstance(s, Source) else dict(s)
    quote = d.get("quote")
    if quote:
        exact = " ".join(str(quote.get("exact", "")).split())
        short = exact if len(exact) <= 90 else exact[:89] + "…"
        doc = quote.get("doc", "")
        return f"{d.get('stance')}: “{short}” ({titles.get(doc, doc)})"
    return f"{d.get('stance')}: {d.get('title') or d.get('url')}"


def _sources(items: Sequence[Source | Mapping[str, Any]], titles: Mapping[str, str]) -> list[str]:
    return sorted(_source_line(s, titles) for s in items) or ["none"]


def _one(value: Any) -> list[str]:
    return [str(value)] if value not in (None, "") else ["—"]


def _basis(verdict: Any, basis: Any) -> list[str]:
    if verdict != "disputed":
        return ["—"]
    return [str(basis or "contested")]


def as_of(claim: Claim, version: int, field: str) -> Any:
    """The value `field` of `claim` had at `version`, from the history's recorded changes
    (`revisions.field_at`: each entry after `version` undone)."""
    return field_at(claim, version, field)


def _stamp(at: dt.datetime | None) -> str | None:
    return at.strftime("%Y-%m-%d %H:%M") + " UTC" if at else None


def _final(claim: Claim) -> tuple[Any, Any, Any, Sequence[Source], Any, str | None]:
    """The final verdict as it is now: verdict, basis, rationale, sources, who and when."""
    return (
        claim.verdict,
        claim.basis,
        claim.rationale,
        claim.sources,
        claim.reviewer,
        _stamp(claim.reviewed_at),
    )


def _picked(choices: Sequence[Source], ticked: Sequence[str]) -> list[Source]:
    return [
        choices[int(i)] for i in ticked if i.isascii() and i.isdigit() and int(i) < len(choices)
    ]


def compare(
    current: Claim,
    form: Mapping[str, str],
    ticked: Sequence[str],
    section: str,
    me: str,
    titles: Mapping[str, str],
    blind: bool,
) -> Comparison | None:
    """Their version (the claim as it is now) beside what `me` typed in the `section` form
    that was refused; None for a form that adds to a list."""
    if section not in COMPARED:
        return None
    last = current.history[-1] if current.history else None
    by = last.by if last else None
    at = _stamp(last.at) if last else None
    raw = form.get("version", "")
    base = int(raw) if raw.isascii() and raw.isdigit() else current.version
    not_yet = ["not saved yet"]
    if section == "edit":
        rows = [
            Row(
                "statement",
                "Statement",
                _one(current.statement),
                _one(form.get("statement")),
                current.statement,
            ),
            Row(
                "claimant",
                "Claimant",
                _one(current.claimant),
                _one(form.get("claimant")),
                current.claimant,
            ),
            Row(
                "claim_date",
                "Claim date",
                _one(current.claim_date),
                _one(form.get("claim_date")),
                str(current.claim_date or ""),
            ),
            Row(
                "claim_month",
                "Claim month",
                _one(current.claim_month),
                _one(form.get("claim_month")),
                current.claim_month or "",
            ),
            Row("by", "Saved by", _one(by), [me]),
            Row("at", "Time", _one(at), not_yet, compared=False),
        ]
        return Comparison(section, by, at, current.version, "the claim as it is now", rows)
    verdict, basis = form.get("verdict"), form.get("basis")
    t_verdict: str | None
    t_basis: str | None
    t_rationale: str | None
    t_by: str | None
    t_at: str | None
    t_sources: Sequence[Any]
    mine_sources: Sequence[Any]
    if section == "review":
        own = current.reviews.get(me)
        if blind:
            return Comparison(
                section,
                by,
                at,
                current.version,
                "",
                [],
                note="Blind review hides the other reviews of this claim until you have "
                "given yours: your form is kept as you typed it; save it again.",
            )
        if by and by != me and by in current.reviews:
            theirs_review, whose = current.reviews[by], f"{by}'s review"
        elif own is not None:
            theirs_review, whose = own, "your review as saved (from another tab or device)"
        else:
            theirs_review, whose = None, "the final verdict"
        mine_sources = _picked(review_choices(current, me), ticked)
        if theirs_review is not None:
            t_verdict, t_basis, t_rationale = (
                theirs_review.verdict,
                theirs_review.basis,
                theirs_review.rationale,
            )
            t_sources = theirs_review.sources
            t_by = by if whose.startswith(str(by)) else me
            t_at = _stamp(theirs_review.reviewed_at)
        else:
            t_verdict, t_basis, t_rationale, t_sources, t_by, t_at = _final(current)
    else:
        whose = "the final verdict as it is now"
        t_verdict, t_basis, t_rationale, t_sources, t_by, t_at = _final(current)
        if section == "adjudicate":
            mine_sources = _picked(final_choices(current), ticked)
        else:  # the verdict form cites the claim's sources as the reviewer saw them
            mine_sources = as_of(current, base, "sources")
    theirs_cited, yours_cited = _sources(t_sources, titles), _sources(mine_sources, titles)
    if theirs_cited == yours_cited and theirs_cited != ["none"]:  # the panel lists them
        n = len(theirs_cited)
        theirs_cited = yours_cited = [f"the same {n} source{'s' if n != 1 else ''}"]
    rows = [
        Row("verdict", "Verdict", _one(t_verdict), _one(verdict), t_verdict or ""),
        Row(
            "basis",
            "If disputed, why",
            _basis(t_verdict, t_basis),
            _basis(verdict, basis),
            t_basis or "contested",
        ),
        Row(
            "rationale",
            "Rationale",
            _one(t_rationale),
            _one(form.get("rationale")),
            t_rationale or "",
        ),
        Row("sources", "Sources", theirs_cited, yours_cited),
        Row("reviewer", "Reviewer", _one(t_by), [me]),
        Row("at", "Time", _one(t_at), not_yet, compared=False),
    ]
    return Comparison(section, by, at, current.version, whose, rows)
