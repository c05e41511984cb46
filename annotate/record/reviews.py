"""Several reviewers per claim (DESIGN.md, "Several reviewers"): each reviewer's own review,
the final verdict that agreeing reviews settle by themselves, a change after the final verdict
reopening the claim, and what blind review hides from a reviewer who has not reviewed yet.

The rules a desk applies (`ReviewRules`) come from its settings file (`annotate.toml`, see
`settings.py`) or the command line; they are the same for every server and CI run of a desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidInput, NothingToChange, detail
from .models import Change, Claim, Review, Source, field_of

REVIEW_FIELDS = (
    "verdict",
    "rationale",
    "reviewer",
    "reviewed_at",
    "settled",
    "reopened",
    "basis",
)
"""The claim's final-verdict fields (its `sources` are the final verdict's too)."""

MAX_RATIONALE = 20_000
"""A rationale's length (models.Text)."""

MAX_REVIEWER_LIST = 500
"""`reviewer` of an agreed verdict names every agreeing reviewer, within ShortText's length."""


@dataclass(frozen=True)
class ReviewRules:
    """How a desk reviews: how many agreeing reviews settle a claim, and whether a reviewer
    sees the others' reviews and the final verdict before giving their own."""

    required: int = 1
    blind: bool = False

    @classmethod
    def for_mode(
        cls, team: bool, required: int | None = None, blind: bool | None = None
    ) -> ReviewRules:
        """The rules of a mode (local: 1 review, not blind; team: 2, blind), with the
        settings given (a settings file or the command line) instead of its defaults."""
        return cls(
            required=required if required is not None else (2 if team else 1),
            blind=blind if blind is not None else team,
        )


def same_review(a: Review | None, b: Review | None) -> bool:
    """Whether two reviews say the same (their times aside)."""
    if a is None or b is None:
        return a is b
    keep = {"verdict", "rationale", "sources", "basis"}
    return a.model_dump(include=keep) == b.model_dump(include=keep)


def _source_key(s: Source) -> tuple[Any, ...]:
    if s.quote is not None:
        return (s.stance, s.quote.doc, s.quote.start, s.quote.end)
    return (s.stance, s.url)


def merged_sources(reviews: Mapping[str, Review]) -> list[Source]:
    """Every source the reviews cite, once each (the same stance of the same passage or URL),
    in the order of the reviewers' names and then of their citations."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for name in sorted(reviews):
        for s in reviews[name].sources:
            key = _source_key(s)
            if key not in seen:
                seen.add(key)
                out.append(s)
    return out


def joined_rationale(reviews: Mapping[str, Review]) -> str:
    """The rationale of agreeing reviews: theirs when they all wrote the same, else each
    reviewer's own, in name order, each on its paragraph after the reviewer's name."""
    texts = {r.rationale for r in reviews.values()}
    if len(texts) == 1:
        return texts.pop()
    joined = "\n\n".join(f"{name}: {reviews[name].rationale}" for name in sorted(reviews))
    # Within a rationale's length (each review keeps its own whole).
    return joined if len(joined) <= MAX_RATIONALE else joined[: MAX_RATIONALE - 1] + "…"


def agreed_basis(reviews: Mapping[str, Review]) -> str | None:
    """The basis of a disputed verdict that reviews agree on: `unsubstantiated` when every
    one of them says so; otherwise contested (None), since a reviewer found credible evidence
    against the claim and cited it, and the merged sources carry it.

    Reviews agree on their verdict, the figures count verdicts (DESIGN.md): a basis that
    differs does not keep agreeing reviews from settling a claim."""
    bases = {r.basis or "contested" for r in reviews.values()}
    return "unsubstantiated" if bases == {"unsubstantiated"} else None


def reviewer_list(names: list[str]) -> str:
    """Every name, comma-separated, within the length a reviewer field holds."""
    out = ", ".join(sorted(names))
    if len(out) <= MAX_REVIEWER_LIST:
        return out
    return out[: MAX_REVIEWER_LIST - 1] + "…"


def after_review(
    claim: Claim, name: str, review: Review | None, rules: ReviewRules
) -> dict[str, Any]:
    """The fields of a claim's next version when `name` gives `review` (None: withdraws
    theirs): the reviews, and, as the rules say, the final verdict their agreement settles or
    the note that reopens a settled claim.

    :raise InvalidInput: nothing to withdraw, or the same review again.
    """
    reviews = dict(claim.reviews)
    old = reviews.get(name)
    if review is None:
        if old is None:
            raise InvalidInput(
                f"'{name}' has no review of this claim to withdraw",
                [detail("reviews", f"no review by '{name}'")],
            )
        del reviews[name]
    else:
        if same_review(old, review):
            raise NothingToChange(
                "nothing to change: that is the review you already gave",
                [detail("(body)", "the same verdict, rationale and sources as your review")],
                claim,
            )
        reviews[name] = review
    fields: dict[str, Any] = {"reviews": reviews}
    if claim.verdict is not None:
        # Settled already: a change that no longer agrees with the final verdict reopens it.
        if review is None:
            fields["reopened"] = f"{name} withdrew their review after the final verdict"
        elif review.verdict != claim.verdict:
            fields["reopened"] = (
                f"{name}'s review ({review.verdict}) differs from the final verdict "
                f"({claim.verdict})"
            )
        return fields
    verdicts = {r.verdict for r in reviews.values()}
    if len(reviews) >= rules.required and len(verdicts) == 1:
        verdict = verdicts.pop()
        fields.update(
            verdict=verdict,
            basis=agreed_basis(reviews) if verdict == "disputed" else None,
            rationale=joined_rationale(reviews),
            sources=merged_sources(reviews),
            reviewer=reviewer_list(list(reviews)),
            reviewed_at=max(r.reviewed_at for r in reviews.values()),
            settled="agreed",
            reopened=None,
        )
    return fields


def blinded(claim: Claim, viewer: str | None, adjudicator: bool, rules: ReviewRules) -> bool:
    """Whether blind review hides this claim's reviews and final verdict from `viewer`: a
    reviewer who has not given their own review yet (adjudicators always see everything)."""
    return rules.blind and not adjudicator and (viewer is None or viewer not in claim.reviews)


def hidden(claim: Claim) -> Claim:
    """The claim as a blind reviewer sees it: no reviews, no final verdict (its rationale,
    reviewer, time, settlement). The evidence cited on it stays: the corpus shows it anyway,
    and a reviewer needs it to give their own review."""
    return claim.model_copy(
        update={
            "reviews": {},
            **dict.fromkeys(REVIEW_FIELDS),
            "history": [_hidden_change(h) for h in claim.history],
        }
    )


def _hidden_change(change: Change) -> Change:
    if change.action not in ("verdict", "reviewed", "withdrawn") and not any(
        _hidden_field(k) for k in change.changes
    ):
        return change
    return change.model_copy(
        update={
            "changes": {k: v for k, v in change.changes.items() if not _hidden_field(k)},
            "note": None,
        }
    )


def _hidden_field(key: str) -> bool:
    """Whether a history entry's key is about the reviews or the final verdict (an edit
    inside the rationale, `rationale@120`, is the rationale's)."""
    return field_of(key).split(".")[0] in (*REVIEW_FIELDS, "reviews")


def source_input(source: Source) -> dict[str, Any]:
    """A stored source as a client would send it again (its quote's anchor checked anew)."""
    data = source.model_dump(mode="json", exclude_none=True, exclude={"quote"})
    if source.quote is not None:
        data["quote"] = source.quote.model_dump(
            mode="json", include={"doc", "start", "end", "exact"}
        )
    return data


def review_choices(claim: Claim, name: str) -> list[Source]:
    """The sources a reviewer may cite in their review: the evidence cited on the claim, and
    those of their own review that it no longer lists."""
    out = list(claim.sources)
    seen = {_source_key(s) for s in out}
    own = claim.reviews.get(name)
    for s in own.sources if own else []:
        if _source_key(s) not in seen:
            seen.add(_source_key(s))
            out.append(s)
    return out


def final_choices(claim: Claim) -> list[Source]:
    """The sources an adjudicator may cite in the final verdict: every review's, merged,
    then the claim's own that no review cites."""
    out = merged_sources(claim.reviews)
    seen = {_source_key(s) for s in out}
    for s in claim.sources:
        if _source_key(s) not in seen:
            seen.add(_source_key(s))
            out.append(s)
    return out


def chosen(sources: list[Source], picked: list[str]) -> list[dict[str, Any]]:
    """The sources a form picked by their index in `sources`.

    :raise InvalidInput: an index that is not one of them.
    """
    out = []
    for raw in picked:
        if not (raw.isascii() and raw.isdigit()) or int(raw) >= len(sources):
            raise InvalidInput(
                f"sources: no source {raw!r} on this claim; reload the page",
                [detail("sources", f"no source {raw!r}")],
            )
        out.append(source_input(sources[int(raw)]))
    return out


def differing(reviews: Mapping[str, Review]) -> set[str]:
    """The reviewers whose verdict is not every other reviewer's."""
    verdicts = {r.verdict for r in reviews.values()}
    if len(verdicts) <= 1:
        return set()
    counts: dict[str, int] = {}
    for r in reviews.values():
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    most = max(counts.values())
    leaders = [v for v, n in counts.items() if n == most]
    if len(leaders) > 1:  # no majority: every review differs from another
        return set(reviews)
    return {name for name, r in reviews.items() if r.verdict != leaders[0]}
