"""How a claim's next version is made: `revise` validates it and records the change in its
history; re-anchoring's outcomes (`Relocation`) become one such revision (`reanchored`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, get_args

import orjson
from pydantic import ValidationError

from ..errors import InvalidInput, NothingToChange, detail
from . import clock
from .anchoring import Placement, changed_part, edit_count, shown_score
from .editorial import EVIDENCE_CHANGED, cited_fields
from .models import Action, Anchor, Change, Claim, error_details

Outcome = Literal[
    "moved",
    "edited",
    "restored",
    "orphaned",
    "still orphaned",
    "refreshed",
    "unchanged",
    "unknown document",
]
"""`edited`: the quote's own text changed where it was (a typo fixed or made), not a move."""
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
CHANGING: tuple[Outcome, ...] = ("moved", "edited", "restored", "orphaned", "refreshed")
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

    def score_shown(self) -> str:
        """The placement's score as people see it ("" without one): `anchoring.shown_score`."""
        return shown_score(self.placement) if self.placement else ""

    def change(self) -> tuple[str, str]:
        """What differs between the old quote and the new, with a little around it."""
        return changed_part(self.old.exact, self.new.exact)

    def line(self) -> str:
        """One line for people: what happened to the anchor, where, and how sure."""
        return f"{self.outcome:<15} {self.claim} {self.detail()}"

    def detail(self) -> str:
        """Field, document, old and new offsets and score, as the history note records it."""
        old, new, p = self.old, self.new, self.placement
        head = f"{self.field} in {old.doc}:"
        span = f"{old.start}-{old.end}"
        if self.outcome == "edited":
            was, now = self.change()
            how = f" ({edit_count(p.errors)}, score {self.score_shown()})" if p else ""
            return f"{head} the quoted text changed in place at {span}: {was!r} -> {now!r}{how}"
        if self.outcome in ("moved", "restored"):
            score = f" (score {self.score_shown()})" if p else ""
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


_SAME_AGAIN: dict[str, str] = {
    "edited": "nothing to change: the values sent are the ones the claim has",
    "verdict": "nothing to change: that is the final verdict the claim has",
}
"""The changes that, sent again unchanged, make no new version (the caller answers with the
claim as it is: sending the same twice is one change)."""


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
    before = claim.model_dump(mode="json", exclude={"history"}, exclude_none=True)
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
    after = new.model_dump(mode="json", exclude={"history"}, exclude_none=True)
    if changes is None:
        changes = {}
        for k in sorted(set(before) | set(after)):
            if k not in ("version", "updated_at", "history", "reviewed_at"):
                what_changed(k, before.get(k), after.get(k), changes)
    if not changes and action in _SAME_AGAIN:
        raise NothingToChange(
            _SAME_AGAIN[action], [detail("(body)", "no field differs from the claim")], claim
        )
    new.history = [
        *claim.history,
        Change(version=new.version, at=at, by=actor, action=action, changes=changes, note=note),
    ]
    return new


TEXT_EDIT_FROM = 240
"""A text of this many characters or more (old and new together) whose edit is small is
recorded as the edit (`rationale@120`), not as both texts whole."""


def what_changed(
    path: str, old: Any, new: Any, into: dict[str, list[Any]], review: bool = False
) -> None:
    """Record in `into` what changed at `path` from `old` to `new`, keeping a history entry
    to what changed (docs/record.md "History"); every entry can be undone from it alone:

    - a list that had elements and still has some, element by element: `sources[2]` is
      `[old, new]` for an element changed in place (its index in the new list), `[old, null]`
      for one removed (its index in the old list), `[null, new]` for one added (its index in
      the new one);
    - a long text changed a little, as the edit: `rationale@120` is `[was, now]`: at
      character 120 of the old text, the words `was` became `now`;
    - the reviews reviewer by reviewer (`reviews.alice`), a review that was and still is
      there part by part (`reviews.alice.rationale`);
    - anything else whole.

    So a save that adds an eleventh source records one source, not ten twice over."""
    if old == new:
        return
    if (path == "reviews" or (review and old and new)) and (
        isinstance(old, dict) and isinstance(new, dict)
    ):
        for key in sorted(set(old) | set(new)):
            what_changed(f"{path}.{key}", old.get(key), new.get(key), into, path == "reviews")
        return
    if isinstance(old, list) and isinstance(new, list) and old and new:
        pieces = list(_elements(path, old, new))
        if pieces and len({key for key, _ in pieces}) == len(pieces):
            into.update(pieces)
            return
        # (an index both removed and added at: said whole rather than ambiguously)
    if isinstance(old, str) and isinstance(new, str):
        edit = text_edit(old, new)
        if edit is not None:
            at, was, now = edit
            into[f"{path}@{at}"] = [was, now]
            return
    into[path] = [old, new]


def text_edit(old: str, new: str) -> tuple[int, str, str] | None:
    """The one edit that makes `new` of `old`, in whole words: where (in `old`), what was
    there, what is now; None when the texts are short or the edit is not much smaller."""
    if len(old) + len(new) < TEXT_EDIT_FROM:
        return None
    head = 0
    limit = min(len(old), len(new))
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    # Out to whole words on both sides (the same characters in both texts).
    while head > 0 and not old[head - 1].isspace():
        head -= 1
    while tail > 0 and not old[len(old) - tail].isspace():
        tail -= 1
    was, now = old[head : len(old) - tail], new[head : len(new) - tail]
    if 2 * (len(was) + len(now)) > len(old) + len(new):
        return None
    return head, was, now


def _elements(path: str, old: list[Any], new: list[Any]) -> Iterator[tuple[str, list[Any]]]:
    keys = [orjson.dumps(x, option=orjson.OPT_SORT_KEYS) for x in (*old, *new)]
    a, b = keys[: len(old)], keys[len(old) :]
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for n in range(paired):
            yield f"{path}[{j1 + n}]", [old[i1 + n], new[j1 + n]]
        for i in range(i1 + paired, i2):
            yield f"{path}[{i}]", [old[i], None]
        for j in range(j1 + paired, j2):
            yield f"{path}[{j}]", [None, new[j]]


def field_at(claim: Claim, version: int, field: str) -> Any:
    """The value `field` of `claim` had at `version` (as JSON: lists of dicts), walking back
    from the claim as it is through the entries of its history after `version`, each undone
    by the rules of `what_changed` (older entries' whole values too)."""
    value = claim.model_dump(mode="json", include={field}, exclude_none=True).get(field)
    for change in reversed(claim.history):
        if change.version <= version:
            break
        if change.changes:
            value = _undone(field, value, change.changes)
    return value


def _undone(field: str, value: Any, changes: dict[str, list[Any]]) -> Any:
    """`value` of `field` before a change, from the value after it and the change's entry."""
    if field in changes:
        return changes[field][0]
    items = list(value) if isinstance(value, list) else None
    placed: list[tuple[int, Any, Any]] = []
    for key, (old, new) in changes.items():
        if key.startswith(f"{field}@") and isinstance(value, str):
            at = int(key[len(field) + 1 :])
            value = value[:at] + old + value[at + len(new) :]
        elif key.startswith(f"{field}[") and items is not None:
            index, _, part = key[len(field) + 1 :].partition("]")
            if part.startswith("."):  # re-anchoring: one part of an element, in place
                i, name = int(index), part[1:]
                if i < len(items) and isinstance(items[i], dict):
                    items[i] = {**items[i], name: old}
            else:
                placed.append((int(index), old, new))
    if items is None:
        return value
    for i, old, new in placed:
        if old is not None and new is not None and i < len(items):
            items[i] = old  # changed in place: its index in the new list
    for i, old, _ in sorted(placed, key=lambda p: -p[0]):
        if old is None and i < len(items):
            del items[i]  # added: its index in the new list
    for i, old, new in sorted(placed, key=lambda p: p[0]):
        if new is None:
            items.insert(i, old)  # removed: its index in the old list
    return items
