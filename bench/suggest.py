"""How good the "Other appearances?" suggestions are, measured on a record's own answers.

Run as `python -m bench.suggest [--seeds seeds --store fixtures]`. For every claim of the
record with more than one appearance or with a refuting quoted source, the claim is asked
for suggestions as a reviewer who had just marked it would: with its first appearance
only and no source. Its other appearances are the passages that should come back as
appearances, its refuting quotes those that should come back as candidate refutations. A
suggestion is right when it overlaps one of them (same document, offsets overlapping).

It prints precision and recall of the top 5 of each list, micro-averaged over the claims,
for the method before polarity (`similarity.similar_passages`: one list, every suggestion
an appearance) and after (`similarity.polar_passages`), and how many refuting passages
each offered as appearances. The figures are in docs/performance.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from annotate.record.corpus import Corpus
from annotate.record.models import Claim
from annotate.record.similarity import Suggestion, polar_passages, similar_passages
from annotate.record.store import Store

Span = tuple[str, int, int]


@dataclass
class Tally:
    """Suggestions made, how many of them were right, how many answers there were, how
    many of those were found."""

    suggested: int = 0
    right: int = 0
    answers: int = 0
    found: int = 0

    def add(self, suggested: Iterable[Span], answers: Iterable[Span]) -> None:
        """Count one claim's suggestions against its answers."""
        s, a = list(suggested), list(answers)
        self.suggested += len(s)
        self.right += sum(any(_overlap(x, y) for y in a) for x in s)
        self.answers += len(a)
        self.found += sum(any(_overlap(x, y) for x in s) for y in a)

    @property
    def precision(self) -> float | None:
        return self.right / self.suggested if self.suggested else None

    @property
    def recall(self) -> float | None:
        return self.found / self.answers if self.answers else None


def _overlap(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _spans(found: list[Suggestion]) -> list[Span]:
    return [(s.passage.doc, s.passage.start, s.passage.end) for s in found]


@dataclass
class Scores:
    """Before and after, by list."""

    before_appearances: Tally
    before_opposites_as_appearances: int
    after_appearances: Tally
    after_refuting: Tally
    after_opposites_as_appearances: int
    claims: int


def evaluate(docs: tuple[tuple[str, str], ...], claims: list[Claim], limit: int = 5) -> Scores:
    """Score both methods on `claims` (their appearances and refuting quotes the answers)."""
    before, after_a, after_r = Tally(), Tally(), Tally()
    wrong_before = wrong_after = asked = 0
    for claim in claims:
        others = [(a.doc, a.start, a.end) for a in claim.appearances[1:]]
        refuting = [
            (s.quote.doc, s.quote.start, s.quote.end)
            for s in claim.sources
            if s.stance == "refutes" and s.quote is not None
        ]
        if not others and not refuting:
            continue
        asked += 1
        probe = claim.model_copy(
            update={"appearances": claim.appearances[:1], "sources": [], "reviews": {}}
        )
        old = _spans(similar_passages(docs, probe, limit=limit))
        before.add(old, others)
        wrong_before += sum(any(_overlap(x, y) for y in refuting) for x in old)
        new = polar_passages(docs, probe, limit=limit)
        apps, refs = _spans(new.appearances), _spans(new.refuting)
        after_a.add(apps, others)
        after_r.add(refs, refuting)
        wrong_after += sum(any(_overlap(x, y) for y in refuting) for x in apps)
    return Scores(before, wrong_before, after_a, after_r, wrong_after, asked)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path, default=Path("seeds"))
    ap.add_argument("--store", type=Path, default=Path("fixtures"))
    args = ap.parse_args(argv)
    corpus = Corpus(args.seeds)
    docs = tuple((d.id, d.text) for d in corpus.documents())
    claims = Store(args.store).claims()
    s = evaluate(docs, claims)
    print(f"{s.claims} claims of {len(claims)} with another appearance or a refuting quote")
    print(f"{'top 5':<34} {'precision':>10} {'recall':>8}  right/suggested  found/answers")
    rows = [
        ("before: appearances", s.before_appearances),
        ("after: appearances", s.after_appearances),
        ("before: refuting (none offered)", Tally(answers=s.after_refuting.answers)),
        ("after: candidate refutations", s.after_refuting),
    ]
    for name, t in rows:
        print(
            f"{name:<34} {_pct(t.precision):>10} {_pct(t.recall):>8}"
            f"  {t.right:>4}/{t.suggested:<10} {t.found:>4}/{t.answers}"
        )
    print(
        "refuting passages offered as appearances: "
        f"before {s.before_opposites_as_appearances}, after {s.after_opposites_as_appearances}"
    )


if __name__ == "__main__":
    main()
