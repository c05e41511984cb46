"""How a claim's next version is made: `revise` validates it and records the change in its
history; re-anchoring's outcomes (`Relocation`) become one such revision (`reanchored`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import ValidationError

from ..errors import InvalidInput, NothingToChange, detail
from . import clock
from .anchoring import Placement
from .editorial import EVIDENCE_CHANGED, cited_fields
from .models import Action, Anchor, Change, Claim, error_details

Outcome = Literal[
    "moved", "restored", "orphaned", "still orphaned", "refreshed", "unchanged", "unknown document"
]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
CHANGING: tuple[Outcome, ...] = ("moved", "restored", "orphaned", "refreshed")
UNPLACED: tuple[Outcome, ...] = ("orphaned", "still orphaned", "unknown document")


@dataclass(frozen=True)
class Relocation:
    """What re-anchoring does to one anchor of one claim, and why."""

    claim: str
    field: str
    outcome: Outcome
    old: Anchor
    new: Anchor
    placement: Placement | None = None

    @property
    def changes(self) -> bool:
        """Whether the stored anchor changes."""
        return self.outcome in CHANGING

    def line(self) -> str:
        """One line for people: what happened to the anchor, where, and how sure."""
        return f"{self.outcome:<15} {self.claim} {self.detail()}"

    def detail(self) -> str:
        """Field, document, old and new offsets and score, as the history note records it."""
        old, new, p = self.old, self.new, self.placement
        head = f"{self.field} in {old.doc}:"
        span = f"{old.start}-{old.end}"
        if self.outcome in ("moved", "restored"):
            score = f" (score {p.score:.2f})" if p else ""
            return f"{head} {span} -> {new.start}-{new.end}{score}"
        if self.outcome in ("orphaned", "still orphaned"):
            best = (
                f"best candidate {p.start}-{p.end}, score {p.score:.2f}"
                if p and p.start is not None
                else "no candidate"
            )
            return f"{head} {span} {old.exact[:50]!r} not found ({best})"
        if self.outcome == "refreshed":
            return f"{head} {span} context refreshed"
        if self.outcome == "unknown document":
            return f"{head} {span} the document is not in the corpus"
        return f"{head} {span}"


def _anchor_record(anchor: Anchor) -> dict[str, Any]:
    return anchor.model_dump(mode="json", include={"doc", "start", "end", "exact", "orphaned"})


def reopening(claim: Claim, moves: list[Relocation], replaced: str | None = None) -> str | None:
    """Why re-anchoring reopens a claim's final verdict, or None: a quote it cites moved, was
    orphaned, restored or had its context changed, or (`replaced`) the text of a document it
    cites a quote in was replaced. The verdict then stands reopened (review status
    `disagreement`) until someone confirms it or sets it again."""
    if claim.verdict is None:
        return None
    cited = [m for m in moves if m.changes and cited_fields(m.field)]
    if cited:
        what = "; ".join(f"{m.field} in {m.old.doc} {m.outcome}" for m in cited)
        why = f"{EVIDENCE_CHANGED} after the verdict: {what}"
    elif replaced is not None and any(
        s.quote is not None and s.quote.doc == replaced for s in claim.sources
    ):
        why = (
            f"{EVIDENCE_CHANGED} after the verdict: the text of {replaced}, which it cites, "
            "was replaced"
        )
    else:
        return None
    if claim.reopened and not claim.reopened.startswith(EVIDENCE_CHANGED):
        why += f"; also: {claim.reopened}"
    return why[:2000]


def reanchored(
    claim: Claim,
    moves: list[Relocation],
    actor: str,
    note: str | None = None,
    replaced: str | None = None,
) -> Claim:
    """The next version of a claim with its anchors re-anchored as `moves` say; a final
    verdict whose cited evidence changed (`reopening`) is reopened."""
    reopen = reopening(claim, moves, replaced)
    moves = [m for m in moves if m.changes]
    by_field = {m.field: m.new for m in moves}
    appearances = [by_field.get(f"appearances[{i}]", a) for i, a in enumerate(claim.appearances)]
    sources = [
        s.model_copy(update={"quote": by_field[f"sources[{i}].quote"]})
        if f"sources[{i}].quote" in by_field
        else s
        for i, s in enumerate(claim.sources)
    ]
    reviews = {
        name: review.model_copy(
            update={
                "sources": [
                    s.model_copy(update={"quote": by_field[f"reviews.{name}.sources[{i}].quote"]})
                    if f"reviews.{name}.sources[{i}].quote" in by_field
                    else s
                    for i, s in enumerate(review.sources)
                ]
            }
        )
        for name, review in claim.reviews.items()
    }
    changes: dict[str, list[Any]] = {
        m.field: [_anchor_record(m.old), _anchor_record(m.new)] for m in moves
    }
    fields: dict[str, Any] = {"appearances": appearances, "sources": sources, "reviews": reviews}
    if reopen is not None and reopen != claim.reopened:
        fields["reopened"] = reopen
        changes["reopened"] = [claim.reopened, reopen]
    if note is None:
        note = "; ".join(f"{m.outcome} {m.detail()}" for m in moves) or (
            f"the text of {replaced} was replaced" if replaced else ""
        )
        note = ("re-anchored after documents changed: " + note)[:2000]
    return revise(
        claim,
        fields,
        actor,
        "reanchored",
        note=note,
        changes=changes,
    )


def revise(
    claim: Claim,
    fields: dict[str, Any],
    actor: str,
    action: Action,
    reviewed: bool = False,
    note: str | None = None,
    changes: dict[str, list[Any]] | None = None,
) -> Claim:
    """The next version of a claim with `fields` changed and the change recorded.

    `changes` replaces the field-by-field record (`{field: [old, new]}`) where a finer one
    says more, as re-anchoring does per anchor path.

    :raise InvalidInput: when the result breaks a rule of the model.
    """
    at = clock.now()
    # The history (which only grows) is neither compared nor validated again: its entries
    # are kept as they are, and one is added below.
    before = claim.model_dump(mode="json", exclude={"history"})
    data = claim.model_dump(exclude={"history"})
    data["history"] = claim.history
    data.update(fields)
    if reviewed:
        data["reviewed_at"] = at
    data["version"] = claim.version + 1
    data["updated_at"] = at
    try:
        new = Claim.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        raise InvalidInput(
            f"invalid change: {details[0]['field']}: {details[0]['message']}", details
        ) from None
    after = new.model_dump(mode="json", exclude={"history"})
    if changes is None:
        changes = {
            k: [before.get(k), after.get(k)]
            for k in sorted(set(before) | set(after))
            if k not in ("version", "updated_at", "history", "reviewed_at")
            and before.get(k) != after.get(k)
        }
    if "reviews" in changes:
        # One entry per reviewer whose review changed, not the whole map twice.
        old_reviews, new_reviews = changes.pop("reviews")
        old_reviews, new_reviews = old_reviews or {}, new_reviews or {}
        for name in sorted(set(old_reviews) | set(new_reviews)):
            if old_reviews.get(name) != new_reviews.get(name):
                changes[f"reviews.{name}"] = [old_reviews.get(name), new_reviews.get(name)]
    if not changes and action == "edited":
        raise NothingToChange(
            "nothing to change: the values sent are the ones the claim has",
            [detail("(body)", "no field differs from the claim")],
            claim,
        )
    new.history = [
        *claim.history,
        Change(version=new.version, at=at, by=actor, action=action, changes=changes, note=note),
    ]
    return new
