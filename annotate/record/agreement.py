"""Inter-annotator agreement over claims that several reviewers gave a verdict. Pure, no Flask.

`agreement(items)` gives the figures of ``annotate agreement --format json`` (DESIGN.md): over
the claims with at least two reviews, nominal data with the three verdicts as the categories,

- Krippendorff's alpha (nominal), Fleiss' kappa and Gwet's AC1 over all reviewers;
- Cohen's kappa for each pair of reviewers, over the claims both reviewed, with its confusion
  matrix;
- observed (percent) agreement beside each, since a chance-corrected figure alone misleads when
  one verdict dominates (a high observed agreement with a low kappa: the "kappa paradox" of
  Feinstein and Cicchetti, 1990; Gwet's AC1 is the figure meant for that case);

overall and per document. `to_text(result)` renders it for a person, with the reason for every
figure that is undefined and a caution where one verdict dominates.

The result (the contract's keys, and the additions marked +)::

    {"overall": BLOCK, "pairs": [PAIR, ...], "documents": {"ID": {"overall": BLOCK,
                                                                   "pairs": [PAIR, ...]}}}
    BLOCK = {"claims": N, "reviewers": N, "krippendorff_alpha": x, "fleiss_kappa": x,
             "gwet_ac1": x,
             + "reviews": N, "observed_agreement": x,
             + "verdicts": {"confirmed": n, "denied": n, "disputed": n},   # reviews of each
             + "reasons": {FIGURE: "why it is null", ...},                  # null figures only
             + "notes": ["caution", ...]}                                   # one verdict dominates
    PAIR = {"a": NAME, "b": NAME, "claims": N, "cohen_kappa": x,
            "confusion": {VERDICT_OF_A: {VERDICT_OF_B: n, ...}, ...},       # 3 x 3, zeros kept
            + "observed_agreement": x, + "reasons": {...}, + "notes": [...]}

x is a float or None; pairs are sorted by (a, b) with a < b; documents by id. With
``document=ID`` the overall figures are that document's, and ``documents`` has it alone.
`iter_documents` gives the documents one at a time, for a server that streams them.

The figures are computed here, each with its textbook formula in exact rational arithmetic
(`fractions.Fraction`), and turned into plain floats at the end: the libraries that compute
them need numpy (krippendorff) or numpy, scipy and pandas (statsmodels), which would add 11 and
105 MB to the server when someone opens the agreement page (docs/development.md, "Agreement
figures"). tests/test_agreement.py checks every figure against those libraries, on published
worked examples and on generated data.

The functions below the public `agreement` accept any hashable category labels, so that the
published examples (with their own categories) test the same code that the verdicts go through.

Choices:

- **Missing data.** Reviewers vary from claim to claim. Krippendorff's alpha and Gwet's AC1
  (Gwet 2014, the form for missing ratings) take that as it is: every claim with two or more
  reviews counts, whoever the reviewers are.
- **Fleiss' kappa** is Fleiss's (1971) statistic, which assumes the same number of ratings on
  every subject (not the same raters). It is given when every counted claim has the same
  number of reviews, and is otherwise `None` with the reason, rather than a generalisation
  under Fleiss's name: Gwet's (2014) extension to missing ratings weighs the claims otherwise
  and is a different figure (irrCAC's fleiss.kappa.raw gives 0.761 on Krippendorff's example,
  whose alpha is 0.743), and the two figures built for missing data are already given.
  Dropping claims until the rest share a number of reviews would report agreement on a subset
  chosen for the statistic's sake.
- **Observed agreement** over several reviewers is the mean, over the claims, of the share of
  pairs of reviews of a claim that gave the same verdict (Fleiss's P-bar, Gwet's p_a); for a
  pair of reviewers it is the share of their shared claims on which they agree.
- **Pairs** are those of reviewers who share at least one claim; Cohen's kappa needs two.
- A figure that is 0/0 for the data (for example when every review gave the same verdict, so
  that chance agreement is 1) is `None`, and the block's ``reasons`` says why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from typing import Any, TypeVar

VERDICTS: tuple[str, ...] = ("confirmed", "denied", "disputed")

#: A verdict given in at least this share of a block's reviews "dominates": kappa and alpha can
#: then be low while the reviewers mostly agree, and the text output says so.
DOMINANT_SHARE = 0.8

FIGURES = ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "observed_agreement")
FIGURE_NAMES = {
    "krippendorff_alpha": "Krippendorff's alpha (nominal)",
    "fleiss_kappa": "Fleiss' kappa",
    "gwet_ac1": "Gwet's AC1",
    "observed_agreement": "observed agreement",
    "cohen_kappa": "Cohen's kappa",
}

NO_CLAIMS = "no claim has two or more reviews"
ONE_VERDICT = "every review gave the same verdict"
FEW_SHARED = "fewer than two claims shared"

L = TypeVar("L", bound=Hashable)


@dataclass(frozen=True)
class Rated:
    """One claim's reviews: who gave which verdict, and the documents the claim appears in."""

    claim: str
    documents: tuple[str, ...]
    verdicts: Mapping[str, str]  # reviewer name -> "confirmed" | "denied" | "disputed"


@dataclass(frozen=True)
class Figure:
    """An agreement figure, or None with the reason it is undefined for the data."""

    value: float | None
    reason: str | None = None


def _figure(numerator: Fraction, denominator: Fraction, reason: str) -> Figure:
    if denominator == 0:
        return Figure(None, reason)
    return Figure(float(numerator / denominator))


# --- The figures, for any category labels --------------------------------------------------


#: A multiset of units, each as its (label, count) pairs: the figures below depend on nothing
#: else, so that equal units (two "confirmed" and a "denied", whoever gave them) are added up
#: once, however many claims there are.
Tally = Counter[frozenset[tuple[L, int]]]


def tally(units: Iterable[Iterable[L]]) -> Tally[L]:
    """The units (each the values it was given, in any order) as a `Tally`."""
    return Counter(frozenset(Counter(unit).items()) for unit in units)


def krippendorff_alpha(units: Iterable[Iterable[L]]) -> Figure:
    """Krippendorff's alpha for nominal data: each unit is the values it was given.

    Units with fewer than two values are not pairable and are left out (Krippendorff 2011).
    With n_uc the number of values c in unit u, m_u the values in u and n_c the pairable values
    c in all: alpha = 1 - (n - 1) * D / (n^2 - sum_c n_c^2), with
    D = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1), the disagreeing coincidences.
    """
    return _alpha(tally(units))


def _alpha(units: Tally[L]) -> Figure:
    disagreeing: Counter[int] = Counter()  # m_u -> sum of (m_u^2 - sum_c n_uc^2)
    totals: Counter[L] = Counter()
    for unit, times in units.items():
        m = sum(c for _, c in unit)
        if m < 2:
            continue
        disagreeing[m] += times * (m * m - sum(c * c for _, c in unit))
        for k, c in unit:
            totals[k] += times * c
    n = sum(totals.values())
    if n == 0:
        return Figure(None, NO_CLAIMS)
    observed = sum((Fraction(d, m - 1) for m, d in disagreeing.items()), Fraction(0))
    expected = Fraction(n * n - sum(c * c for c in totals.values()), n - 1)
    return _figure(expected - observed, expected, ONE_VERDICT)


def fleiss_kappa(units: Iterable[Iterable[L]]) -> Figure:
    """Fleiss' (1971) kappa: every unit must have the same number of values, two or more.

    With N units of n values, n_ij the values j in unit i and p_j = sum_i n_ij / (N n):
    P-bar = (sum_ij n_ij^2 - N n) / (N n (n - 1)), P_e = sum_j p_j^2,
    kappa = (P-bar - P_e) / (1 - P_e).
    """
    return _fleiss(tally(units))


def _fleiss(units: Tally[L]) -> Figure:
    sizes: set[int] = set()
    squares = 0
    totals: Counter[L] = Counter()
    units_seen = 0
    for unit, times in units.items():
        sizes.add(sum(c for _, c in unit))
        squares += times * sum(c * c for _, c in unit)
        for k, c in unit:
            totals[k] += times * c
        units_seen += times
    if units_seen == 0:
        return Figure(None, NO_CLAIMS)
    if len(sizes) > 1:
        return Figure(None, _sizes_differ(min(sizes), max(sizes)))
    (n,) = sizes
    if n < 2:
        return Figure(None, NO_CLAIMS)
    ratings = units_seen * n
    p_bar = Fraction(squares - ratings, ratings * (n - 1))
    p_e = sum((Fraction(c, ratings) ** 2 for c in totals.values()), Fraction(0))
    return _figure(p_bar - p_e, 1 - p_e, ONE_VERDICT)


@lru_cache(maxsize=256)  # one string for the many blocks that give it
def _sizes_differ(fewest: int, most: int) -> str:
    return (
        f"claims have different numbers of reviews ({fewest} to {most}); Fleiss' kappa needs "
        "the same number on every claim (Krippendorff's alpha and Gwet's AC1 do not)"
    )


def gwet_ac1(units: Iterable[Iterable[L]], categories: Collection[L]) -> Figure:
    """Gwet's AC1 for any number of raters, who may vary from unit to unit (Gwet 2008; 2014).

    With r_i the values of unit i, r_ik those in category k, q categories, n units with a value
    and n' units with two or more:
    p_a = (1/n') sum_{i: r_i >= 2} sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)),
    pi_k = (1/n) sum_i r_ik / r_i, p_e = sum_k pi_k (1 - pi_k) / (q - 1),
    AC1 = (p_a - p_e) / (1 - p_e). The categories are all those the raters could choose from,
    used or not: q is part of the formula.
    """
    return _ac1(tally(units), categories)


def _ac1(units: Tally[L], categories: Collection[L]) -> Figure:
    q = len(categories)
    if q < 2:
        raise ValueError("Gwet's AC1 needs two or more categories")
    offered = set(categories)
    p_a = _pairwise(units)
    shares: defaultdict[L, Fraction] = defaultdict(Fraction)  # n * pi_k
    rated = 0
    for unit, times in units.items():
        r = sum(c for _, c in unit)
        if r == 0:
            continue
        rated += times
        for k, c in unit:
            if k not in offered:
                raise ValueError(f"value {k!r} is not one of the categories")
            shares[k] += Fraction(times * c, r)
    if p_a.value is None:
        return Figure(None, p_a.reason)
    p_e = sum((p / rated * (1 - p / rated) for p in shares.values()), Fraction(0)) / (q - 1)
    # p_e <= 1/q < 1, so AC1 is defined whenever two values could be compared.
    return _figure(Fraction(p_a.value) - p_e, 1 - p_e, ONE_VERDICT)


def observed_agreement(units: Iterable[Iterable[L]]) -> Figure:
    """The mean, over units with two or more values, of the share of their pairs that agree."""
    return _observed(tally(units))


def _observed(units: Tally[L]) -> Figure:
    figure = _pairwise(units)
    return Figure(None if figure.value is None else float(figure.value), figure.reason)


def _pairwise(units: Tally[L]) -> _Exact:
    # Gwet's p_a, Fleiss's P-bar where every unit has as many values.
    agreeing: Counter[int] = Counter()  # r_i -> sum of sum_k r_ik (r_ik - 1)
    pairable = 0
    for unit, times in units.items():
        r = sum(c for _, c in unit)
        if r >= 2:
            pairable += times
            agreeing[r] += times * sum(c * (c - 1) for _, c in unit)
    if pairable == 0:
        return _Exact(None, NO_CLAIMS)
    total = sum((Fraction(a, r * (r - 1)) for r, a in agreeing.items()), Fraction(0))
    return _Exact(total / pairable)


@dataclass(frozen=True)
class _Exact:
    value: Fraction | None
    reason: str | None = None


def cohen_kappa(pairs: Iterable[tuple[L, L]]) -> Figure:
    """Cohen's (1960) kappa of two raters, from the (a's value, b's value) of each shared unit."""
    return _cohen(Counter(pairs))


def _cohen(table: Mapping[tuple[Any, Any], int]) -> Figure:
    # kappa = (p_o - p_e) / (1 - p_e) = (N * agree - sum_k a_k b_k) / (N^2 - sum_k a_k b_k).
    n = sum(table.values())
    if n < 2:
        return Figure(None, FEW_SHARED)
    rows: Counter[Any] = Counter()
    cols: Counter[Any] = Counter()
    agree = 0
    for (a, b), count in table.items():
        rows[a] += count
        cols[b] += count
        if a == b:
            agree += count
    chance = sum(rows[k] * cols[k] for k in rows)
    return _figure(Fraction(n * agree - chance), Fraction(n * n - chance), ONE_VERDICT)


# --- The report over claims and verdicts ---------------------------------------------------


#: A counted claim: its verdicts by reviewer, and the same as a unit of `Tally`.
_Claim = tuple[Mapping[str, str], frozenset[tuple[str, int]]]


def agreement(
    items: Iterable[Rated], *, document: str | None = None, with_documents: bool = True
) -> dict[str, Any]:
    """The agreement figures of ``annotate agreement --format json`` (module docstring).

    Only claims with two or more reviews count. With ``document``, only the claims that appear
    in it, and ``documents`` holds that one document alone (even when it has no such claim).

    ``with_documents=False`` leaves out ``documents`` (no other key changes), for a caller that
    streams them one at a time from `iter_documents`: over 100,000 claims in 10,000 documents
    the whole result is some 90 MB of Python objects (docs/development.md).
    """
    counted, by_document = _group(items, document)
    overall, pairs = _report(counted)
    if not with_documents:
        return {"overall": overall, "pairs": pairs}
    documents: dict[str, Any] = {}
    if document is not None:
        documents[document] = {"overall": overall, "pairs": pairs}
    for doc in sorted(by_document):
        doc_overall, doc_pairs = _report(by_document[doc])
        documents[doc] = {"overall": doc_overall, "pairs": doc_pairs}
    return {"overall": overall, "pairs": pairs, "documents": documents}


def iter_documents(items: Iterable[Rated]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``agreement(items)["documents"]``'s entries in its order, each made only when asked for."""
    _, by_document = _group(items, None)
    for doc in sorted(by_document):
        claims = by_document.pop(doc)
        doc_overall, doc_pairs = _report(claims)
        yield doc, {"overall": doc_overall, "pairs": doc_pairs}


def _group(
    items: Iterable[Rated], document: str | None
) -> tuple[list[_Claim], defaultdict[str, list[_Claim]]]:
    """The counted claims, and (without ``document``) those of each document."""
    counted: list[_Claim] = []
    by_document: defaultdict[str, list[_Claim]] = defaultdict(list)
    seen: set[str] = set()
    units: dict[tuple[str, ...], frozenset[tuple[str, int]]] = {}  # one object per kind
    for item in items:
        if item.claim in seen:
            raise ValueError(f"claim {item.claim!r} given twice")
        seen.add(item.claim)
        for reviewer, verdict in item.verdicts.items():
            if verdict not in VERDICTS:
                raise ValueError(
                    f"claim {item.claim!r}: {reviewer!r} gave {verdict!r}, not one of {VERDICTS}"
                )
        if len(item.verdicts) < 2:
            continue
        if document is not None and document not in item.documents:
            continue
        key = tuple(sorted(item.verdicts.values()))
        unit = units.get(key)
        if unit is None:
            unit = units[key] = frozenset(Counter(key).items())
        claim = (item.verdicts, unit)
        counted.append(claim)
        if document is None:
            for doc in dict.fromkeys(item.documents):
                by_document[doc].append(claim)
    return counted, by_document


def _report(claims: Sequence[_Claim]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    units: Tally[str] = Counter(unit for _, unit in claims)
    counts: Counter[str] = Counter()
    for unit, times in units.items():
        for verdict, c in unit:
            counts[verdict] += times * c
    figures = {
        "krippendorff_alpha": _alpha(units),
        "fleiss_kappa": _fleiss(units),
        "gwet_ac1": _ac1(units, VERDICTS),
        "observed_agreement": _observed(units),
    }
    overall: dict[str, Any] = {
        "claims": len(claims),
        "reviewers": len({name for verdicts, _ in claims for name in verdicts}),
        "reviews": sum(counts.values()),
        **{name: figure.value for name, figure in figures.items()},
        "verdicts": {v: counts[v] for v in VERDICTS},
        "reasons": {name: f.reason for name, f in figures.items() if f.reason is not None},
    }
    overall["notes"] = _notes(counts, figures["observed_agreement"].value, "kappa and alpha")

    tables: defaultdict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
    for verdicts, _ in claims:
        for a, b in combinations(sorted(verdicts), 2):
            tables[a, b][verdicts[a], verdicts[b]] += 1
    pairs = [_pair(a, b, tables[a, b]) for a, b in sorted(tables)]
    return overall, pairs


def _pair(a: str, b: str, table: Counter[tuple[str, str]]) -> dict[str, Any]:
    shared = sum(table.values())
    kappa = _cohen(table)
    observed = sum(table[v, v] for v in VERDICTS) / shared  # a pair shares at least one claim
    notes: list[str] = []
    if shared >= 2:
        counts: Counter[str] = Counter()
        for (va, vb), count in table.items():
            counts[va] += count
            counts[vb] += count
        notes = _notes(counts, observed, "Cohen's kappa")
    return {
        "a": a,
        "b": b,
        "claims": shared,
        "cohen_kappa": kappa.value,
        "observed_agreement": observed,
        "confusion": {va: {vb: table.get((va, vb), 0) for vb in VERDICTS} for va in VERDICTS},
        "reasons": {} if kappa.reason is None else {"cohen_kappa": kappa.reason},
        "notes": notes,
    }


def _notes(counts: Counter[str], observed: float | None, figures: str) -> list[str]:
    """A caution when one verdict dominates (not when it is the only one: the reasons say so)."""
    total = sum(counts.values())
    if total == 0:
        return []
    verdict, top = max(counts.items(), key=lambda kv: (kv[1], -VERDICTS.index(kv[0])))
    if top < DOMINANT_SHARE * total or top == total:
        return []
    agreed = "" if observed is None else f" (observed agreement {observed:.0%})"
    return [_dominant(verdict, f"{top / total:.0%}", figures, agreed)]


@lru_cache(maxsize=4096)  # one string for the many blocks that give it
def _dominant(verdict: str, share: str, figures: str, agreed: str) -> str:
    return (
        f"{verdict!r} is {share} of the reviews: with one verdict this common, chance agreement "
        f"is high, and {figures} can be low even where the reviewers agree{agreed}; Gwet's AC1 "
        "is less affected by one verdict dominating"
    )


# --- Text ----------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _value(value: float | None, reason: str | None, *, percent: bool = False) -> str:
    if value is None:
        return f"undefined: {reason}"
    return f"{value:.1%}" if percent else f"{value:.4f}"


def _block_text(overall: Mapping[str, Any], pairs: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        f"{_count(overall['claims'], 'claim')} with two or more reviews, "
        f"{_count(overall['reviewers'], 'reviewer')}, {_count(overall['reviews'], 'review')}"
    ]
    if overall["reviews"]:
        shares = ", ".join(
            f"{v} {n} ({n / overall['reviews']:.0%})" for v, n in overall["verdicts"].items()
        )
        lines.append(f"  verdicts: {shares}")
    reasons = overall.get("reasons", {})
    width = max(len(FIGURE_NAMES[name]) for name in FIGURES)
    for name in FIGURES:
        value = _value(overall[name], reasons.get(name), percent=name == "observed_agreement")
        lines.append(f"  {FIGURE_NAMES[name]:<{width}}  {value}")
    lines.extend(f"  note: {note}" for note in overall.get("notes", []))
    if pairs:
        lines.append("  Pairs of reviewers (Cohen's kappa over the claims both reviewed):")
    for pair in pairs:
        kappa = _value(pair["cohen_kappa"], pair.get("reasons", {}).get("cohen_kappa"))
        lines.append(
            f"    {pair['a']} and {pair['b']}: {_count(pair['claims'], 'shared claim')}, "
            f"Cohen's kappa {kappa}, observed agreement "
            f"{_value(pair['observed_agreement'], None, percent=True)}"
        )
        lines.extend(f"      note: {note}" for note in pair.get("notes", []))
        lines.extend(_confusion_text(pair["a"], pair["b"], pair["confusion"]))
    return lines


def _confusion_text(a: str, b: str, confusion: Mapping[str, Mapping[str, int]]) -> list[str]:
    rows = list(confusion)
    cols = list(next(iter(confusion.values()), {}))
    head = f"{a} \\ {b}"
    first = max(len(head), *(len(r) for r in rows))
    widths = [max(len(c), *(len(str(confusion[r][c])) for r in rows)) for c in cols]
    lines = [
        "      "
        + f"{head:<{first}}  "
        + "  ".join(f"{c:>{w}}" for c, w in zip(cols, widths, strict=True))
    ]
    for r in rows:
        cells = "  ".join(f"{confusion[r][c]:>{w}}" for c, w in zip(cols, widths, strict=True))
        lines.append("      " + f"{r:<{first}}  " + cells)
    return lines


def to_text(result: Mapping[str, Any]) -> str:
    """A report of `agreement`'s result for a person: figures rounded, reasons for the undefined."""
    documents: Mapping[str, Any] = result.get("documents", {})
    single = len(documents) == 1 and next(iter(documents.values())) == {
        "overall": result["overall"],
        "pairs": result["pairs"],
    }
    lines: list[str] = []
    if single:
        (doc,) = documents
        lines.append(f"Agreement in document {doc}")
        lines.extend(_block_text(result["overall"], result["pairs"]))
        return "\n".join(lines) + "\n"
    lines.append("Agreement over all documents")
    lines.extend(_block_text(result["overall"], result["pairs"]))
    for doc, block in documents.items():
        lines.append("")
        lines.append(f"Document {doc}")
        lines.extend(_block_text(block["overall"], block["pairs"]))
    return "\n".join(lines) + "\n"
