"""Questions: the groups of claims that answer the same question, and who answers what.

Claims are linked by their `relations`. A claim that `repeats` another gives the same
answer, one that `contradicts` it the other answer; a group of claims linked that way (in
either direction, through any number of links) is one *question*. One claim of the group may
name it (`question: {name, answer}`): its answer is then `yes` or `no` to the question as
named, and every other claim's answer follows from the links. An unnamed group has no name;
its answers are given relative to its first claim (by claim id), which counts as `yes`.

`supports` links are evidence, not answers: they do not join a claim to a question.

Nothing here is stored: questions are worked out from the claims each time, so a link or a
name changed through the API, the pages or a git merge shows at once, and `annotate check`
reports the groups that cannot be answered consistently (a claim on both sides, or two names).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from .models import Answer, Claim


class _Link(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def claim(self) -> str: ...


class _Name(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def answer(self) -> str: ...


class Linked(Protocol):
    """What questions are worked out from: a claim, or anything with its id, relations and
    question name (as `annotate check` keeps of each claim file, and the store's index of
    each claim: its `Summary`)."""

    @property
    def id(self) -> str: ...
    @property
    def relations(self) -> Sequence[_Link]: ...
    @property
    def question(self) -> _Name | None: ...


ANSWERING = ("repeats", "contradicts")
"""The relation kinds that make two claims answers to one question."""


def _flip(answer: Answer) -> Answer:
    return "no" if answer == "yes" else "yes"


@dataclass
class Question:
    """One group of claims answering the same question.

    `id` is the id of the claim that names it, or of the group's first claim (by id) when no
    claim does; it stays the same as long as that claim stays in the group.
    """

    id: str
    name: str | None
    named_by: str | None
    answers: dict[str, Answer] = field(default_factory=dict)
    """Each member claim's answer, by claim id, in id order."""
    problems: list[str] = field(default_factory=list)
    """Why the group cannot be answered consistently: a claim linked to both answers, or
    more than one name."""

    def claims(self, answer: Answer | None = None) -> list[str]:
        """The member claim ids (with `answer`, only those giving it), in id order."""
        return [c for c, a in self.answers.items() if answer is None or a == answer]


def _edges(claims: dict[str, Linked]) -> dict[str, list[tuple[str, bool]]]:
    """Undirected answering links: for each claim that has one, (other claim, same answer?).
    Only the claims linked are keys (most of a large record links nothing: a list for each
    of 100,000 claims took seconds)."""
    edges: dict[str, list[tuple[str, bool]]] = {}
    for cid in sorted(c for c, claim in claims.items() if claim.relations):
        for relation in claims[cid].relations:
            if relation.kind in ANSWERING and relation.claim in claims:
                same = relation.kind == "repeats"
                edges.setdefault(cid, []).append((relation.claim, same))
                edges.setdefault(relation.claim, []).append((cid, same))
    return edges


def questions(claims: Iterable[Linked]) -> list[Question]:
    """Every question the claims answer (groups of two or more claims, or one claim that
    names a question), sorted by name (named first) and then id."""
    by_id = {c.id: c for c in claims}
    edges = _edges(by_id)
    seen: set[str] = set()
    found: list[Question] = []
    # A claim with no answering link and no name is in no question: only the others start one.
    starts = set(edges) | {cid for cid, c in by_id.items() if c.question is not None}
    for start in sorted(starts):
        if start in seen:
            continue
        group = _component(start, edges)
        seen.update(group)
        namers = [cid for cid in sorted(group) if by_id[cid].question is not None]
        if len(group) < 2 and not namers:
            continue
        root = namers[0] if namers else min(group)
        named = by_id[root].question
        question = Question(
            id=root,
            name=named.name if named else None,
            named_by=root if named else None,
        )
        if len(namers) > 1:
            names = ", ".join(f"{cid} ({by_id[cid].question.name!r})" for cid in namers)  # type: ignore[union-attr]
            question.problems.append(
                f"one question named by {len(namers)} claims: {names}; keep one name"
            )
        answers = _answers(root, cast(Answer, named.answer) if named else "yes", edges, question)
        question.answers = {cid: answers[cid] for cid in sorted(answers)}
        found.append(question)
    found.sort(key=lambda q: (q.name is None, (q.name or "").casefold(), q.id))
    return found


def _component(start: str, edges: dict[str, list[tuple[str, bool]]]) -> set[str]:
    group = {start}
    todo = [start]
    while todo:
        for other, _same in edges.get(todo.pop(), ()):
            if other not in group:
                group.add(other)
                todo.append(other)
    return group


def _answers(
    root: str,
    answer: Answer,
    edges: dict[str, list[tuple[str, bool]]],
    question: Question,
) -> dict[str, Answer]:
    """Each claim's answer, breadth first from `root`; a link that disagrees with the answers
    already given is a problem of the question (reported once per pair)."""
    answers: dict[str, Answer] = {root: answer}
    queue = deque([root])
    clashes: set[tuple[str, str]] = set()
    while queue:
        cid = queue.popleft()
        for other, same in sorted(edges.get(cid, ())):
            expected = answers[cid] if same else _flip(answers[cid])
            if other not in answers:
                answers[other] = expected
                queue.append(other)
            elif answers[other] != expected:
                pair = (min(cid, other), max(cid, other))
                if pair not in clashes:
                    clashes.add(pair)
                    question.problems.append(
                        f"{pair[0]} and {pair[1]} are linked as giving "
                        f"{'the same answer' if same else 'opposite answers'}, but their other "
                        f"links give them {'opposite answers' if same else 'the same answer'}"
                    )
    return answers


def question_of(claim_id: str, found: Iterable[Question]) -> Question | None:
    """The question a claim answers, if any."""
    for question in found:
        if claim_id in question.answers:
            return question
    return None


def public(question: Question, by_id: Mapping[str, Claim]) -> dict[str, Any]:
    """A question as the API gives it: its id, name, the claim naming it, each member claim
    with its answer, claimant, claim date, final verdict (`null` when there is none, or the
    reader may not see it: the claims in `by_id` are as the reader may see them) and short
    statement (the statement when it has none), and its problems."""
    answers = []
    for claim_id, answer in question.answers.items():
        claim = by_id[claim_id]
        answers.append(
            {
                "claim": claim_id,
                "answer": answer,
                "claimant": claim.claimant,
                "claim_date": claim.claim_date.isoformat() if claim.claim_date else None,
                "verdict": claim.verdict,
                "short_statement": claim.short_statement or claim.statement,
            }
        )
    return {
        "id": question.id,
        "name": question.name,
        "named_by": question.named_by,
        "answers": answers,
        "problems": list(question.problems),
    }
