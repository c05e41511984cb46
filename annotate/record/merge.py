"""Three-way merge of one claim file: what `annotate merge-driver` does when git merges two
lines of work that both changed a claim (two desks, a laptop and a server).

Against the common ancestor, field by field: a field changed on one side only takes that
side's value; changed the same way on both, that value. Each reviewer's review is a field of
its own, so two reviewers' reviews combine. Appearances and sources merge as sets (what one
side added is added, what one side removed is removed). Relations merge per linked claim:
what one side linked is linked, what one side unlinked is unlinked, and the same link given two
different kinds is a conflict (`relations.<claim id>`); the question name merges as one value.
The histories merge by time, and one
`merged` entry is added; the version becomes one past both sides'. The final verdict
(verdict, rationale, reviewer, time, settlement, basis) is one unit: two different final
verdicts are a conflict.

A real conflict (the same field changed two ways) keeps ours in place, so that the file is a
valid claim, and records both sides in the claim's `conflicts`, which `annotate check`
reports and a decision resolves (`Workspace.resolve_conflict`). Nothing either side wrote is
dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from .models import Claim, error_details

VERDICT_UNIT = ("verdict", "rationale", "reviewer", "reviewed_at", "settled", "reopened", "basis")
"""The final verdict's fields, merged as one."""

SETS = ("appearances", "sources", "tags")
"""Lists merged as sets of their items."""

OWN = (
    "version",
    "history",
    "updated_at",
    "conflicts",
    "reviews",
    "relations",
    *SETS,
    *VERDICT_UNIT,
)
"""Fields merged by rules of their own (the rest: one value each, three ways)."""


class Unmergeable(Exception):
    """The sides cannot be merged into a valid claim: git keeps its own conflict."""


def _three_way(base: Any, ours: Any, theirs: Any) -> tuple[Any, bool]:
    """The merged value, and whether the two sides conflict (then: ours)."""
    if ours == theirs or theirs == base:
        return ours, False
    if ours == base:
        return theirs, False
    return ours, True


def _set_merge(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Ours, less what theirs removed, plus what theirs added (in their order)."""
    removed = [x for x in base if x not in theirs]
    added = [x for x in theirs if x not in base and x not in ours]
    return [x for x in ours if x not in removed] + added


def _kinds(side: dict[str, Any]) -> dict[str, Any]:
    """A side's relations as {other claim: kind}."""
    return {r.get("claim"): r.get("kind") for r in side.get("relations") or []}


def merged_relations(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[tuple[str, Any, Any, Any]]]:
    """The relations merged per linked claim (ours in their order, then theirs' new ones),
    and the links changed two ways: (claim id, base kind, ours, theirs), ours kept."""
    b, o, t = _kinds(base), _kinds(ours), _kinds(theirs)
    order = list(dict.fromkeys([*o, *t]))
    out, clashes = [], []
    for other in order:
        kind, clash = _three_way(b.get(other), o.get(other), t.get(other))
        if clash:
            clashes.append((other, b.get(other), o.get(other), t.get(other)))
        if kind is not None:
            out.append({"kind": kind, "claim": other})
    return out, clashes


def _history(ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Every entry of both histories once, by time (then version)."""
    out: list[Any] = []
    for entry in [*ours, *theirs]:
        if entry not in out:
            out.append(entry)
    return sorted(out, key=lambda h: (h.get("at", ""), h.get("version", 0)))


def merge_claims(
    base: dict[str, Any] | None,
    ours: dict[str, Any],
    theirs: dict[str, Any],
    at: dt.datetime,
    by: str = "annotate merge-driver",
) -> tuple[Claim, list[str]]:
    """The merged claim and the names of the fields that conflict (recorded in it).

    `base` is None when both sides added the claim: every difference is then a conflict.

    :raise Unmergeable: the result is not a valid claim.
    """
    base = base or {}
    out: dict[str, Any] = {}
    conflicts: list[dict[str, Any]] = list(ours.get("conflicts") or [])
    for c in theirs.get("conflicts") or []:
        if c not in conflicts:
            conflicts.append(c)
    stamp = at.isoformat().replace("+00:00", "Z")
    conflicting: list[str] = []

    def conflict(field: str, b: Any, o: Any, t: Any) -> None:
        conflicting.append(field)
        conflicts.append({"field": field, "base": b, "ours": o, "theirs": t, "at": stamp})

    for key in sorted((set(ours) | set(theirs) | set(base)) - set(OWN)):
        value, clash = _three_way(base.get(key), ours.get(key), theirs.get(key))
        if clash:
            conflict(key, base.get(key), ours.get(key), theirs.get(key))
        if value is not None:
            out[key] = value
    unit = [{k: side.get(k) for k in VERDICT_UNIT} for side in (base, ours, theirs)]
    value, clash = _three_way(*unit)
    if clash:
        conflict("verdict", *unit)
    out.update({k: v for k, v in value.items() if v is not None})
    for key in SETS:
        out[key] = _set_merge(base.get(key) or [], ours.get(key) or [], theirs.get(key) or [])
    reviews: dict[str, Any] = {}
    b_rev, o_rev, t_rev = (side.get("reviews") or {} for side in (base, ours, theirs))
    for name in sorted(set(b_rev) | set(o_rev) | set(t_rev)):
        value, clash = _three_way(b_rev.get(name), o_rev.get(name), t_rev.get(name))
        if clash:
            conflict(f"reviews.{name}", b_rev.get(name), o_rev.get(name), t_rev.get(name))
        if value is not None:
            reviews[name] = value
    out["reviews"] = reviews
    out["relations"], clashes = merged_relations(base, ours, theirs)
    for other, b_kind, o_kind, t_kind in clashes:
        conflict(f"relations.{other}", b_kind, o_kind, t_kind)
    version = max(int(ours.get("version", 1)), int(theirs.get("version", 1))) + 1
    out["version"] = version
    out["updated_at"] = stamp
    note = "merged two lines of work"
    if conflicting:
        note += f"; conflicts to decide: {', '.join(conflicting)}"
    out["history"] = [
        *_history(ours.get("history") or [], theirs.get("history") or []),
        {
            "version": version,
            "at": stamp,
            "by": by,
            "action": "merged",
            "changes": {},
            "note": note,
        },
    ]
    if conflicts:
        out["conflicts"] = conflicts
    try:
        return Claim.model_validate(out), conflicting
    except ValidationError:
        pass
    # The sets merged break a rule (a source one side removed that the other's verdict
    # needs, one passage twice): keep ours, and theirs as a conflict to decide.
    for key in SETS:
        if out[key] != (ours.get(key) or []):
            out[key] = ours.get(key) or []
            conflict(key, base.get(key), ours.get(key), theirs.get(key))
            out["conflicts"] = conflicts
    out["history"][-1]["note"] = (
        f"merged two lines of work; conflicts to decide: {', '.join(conflicting)}"
    )
    try:
        return Claim.model_validate(out), conflicting
    except ValidationError as exc:
        first = error_details(exc)[0]
        raise Unmergeable(f"{first['field']}: {first['message']}") from None
