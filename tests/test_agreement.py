"""Agreement figures (annotate/record/agreement.py) against published worked examples, the
reference libraries (krippendorff, statsmodels: dev dependencies only) and a case worked by hand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.record.agreement import (
    FEW_SHARED,
    NO_CLAIMS,
    ONE_VERDICT,
    VERDICTS,
    Rated,
    agreement,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    iter_documents,
    krippendorff_alpha,
    observed_agreement,
    to_text,
)

# --- Published worked examples -------------------------------------------------------------

#: Krippendorff, K. (2011), "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
#: Communication, University of Pennsylvania), example C: four observers, twelve units, values
#: 1-5, with missing data; nominal alpha = 0.743. The same data is the dataset cac.raw4raters of
#: Gwet's irrCAC package (Gwet, K. L., 2014, Handbook of Inter-Rater Reliability, 4th ed.), whose
#: vignette prints for it: percent agreement 0.8181818, AC1 = 0.77544 (pa 0.8181818,
#: pe 0.1903212), Krippendorff's alpha 0.74342.
N = None
KRIPPENDORFF_2011 = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    "C": [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
}
KRIPPENDORFF_UNITS = [
    [row[u] for row in KRIPPENDORFF_2011.values() if row[u] is not None] for u in range(12)
]

#: Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters each, 5 categories;
#: P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210. Rows: subjects; columns: raters per category.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

#: Gwet's irrCAC package, dataset cont3x3abstractors (Gwet 2014, Handbook): two abstractors
#: classify 100 pregnancies as Ectopic, AIU or NIU. Its overview vignette prints Cohen's kappa
#: 0.7964094, Gwet's AC1 0.8493305, Krippendorff's alpha 0.7972585, percent agreement 0.89.
#: Rows: abstractor 1; columns: abstractor 2.
GWET_3X3 = {
    "Ectopic": {"Ectopic": 13, "AIU": 0, "NIU": 0},
    "AIU": {"Ectopic": 0, "AIU": 20, "NIU": 7},
    "NIU": {"Ectopic": 0, "AIU": 4, "NIU": 56},
}


def units_of(table: list[list[int]]) -> list[list[int]]:
    """Subjects as their lists of values, from a subjects x categories table of counts."""
    return [[j for j, count in enumerate(row) for _ in range(count)] for row in table]


def pairs_of(table: dict[str, dict[str, int]]) -> list[tuple[str, str]]:
    return [(a, b) for a, row in table.items() for b, count in row.items() for _ in range(count)]


def test_krippendorff_2011_nominal_alpha() -> None:
    alpha = krippendorff_alpha(KRIPPENDORFF_UNITS)
    assert alpha.value == pytest.approx(0.743, abs=5e-4)
    assert alpha.value == pytest.approx(0.74342, abs=5e-6)  # irrCAC's print, 5 decimals
    # Krippendorff's arithmetic: n = 40 pairable values (n_1..n_5 = 9, 13, 10, 5, 3), the
    # disagreeing coincidences sum to 8, sum_{c != k} n_c n_k = 1600 - 384 = 1216:
    # alpha = 1 - (n - 1) * 8 / 1216 = 1 - 312/1216 = 113/152.
    assert alpha.value == float(Fraction(113, 152))


def test_krippendorff_2011_gwet_ac1_and_observed() -> None:
    ac1 = gwet_ac1(KRIPPENDORFF_UNITS, categories=[1, 2, 3, 4, 5])
    assert ac1.value == pytest.approx(0.77544, abs=5e-6)
    assert observed_agreement(KRIPPENDORFF_UNITS).value == pytest.approx(0.8181818, abs=5e-8)


def test_krippendorff_2011_fleiss_undefined() -> None:
    # Units have 1 to 4 values: Fleiss' kappa is not given (the module's docstring says why).
    kappa = fleiss_kappa(KRIPPENDORFF_UNITS)
    assert kappa.value is None
    assert kappa.reason is not None and "different numbers of reviews (1 to 4)" in kappa.reason


def test_krippendorff_2011_against_library() -> None:
    import krippendorff

    data = np.array(
        [[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011.values()],
        dtype=float,
    )
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha(KRIPPENDORFF_UNITS).value == pytest.approx(expected, rel=1e-12)


def test_fleiss_wikipedia() -> None:
    kappa = fleiss_kappa(units_of(FLEISS_WIKIPEDIA))
    assert kappa.value == pytest.approx(0.210, abs=5e-4)
    # P-bar and P-bar_e as printed.
    assert observed_agreement(units_of(FLEISS_WIKIPEDIA)).value == pytest.approx(0.378, abs=5e-4)
    p = [sum(col) / 140 for col in zip(*FLEISS_WIKIPEDIA, strict=True)]
    assert sum(x * x for x in p) == pytest.approx(0.213, abs=5e-4)


def test_fleiss_wikipedia_against_statsmodels() -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    expected = sm_fleiss(np.array(FLEISS_WIKIPEDIA), method="fleiss")
    assert fleiss_kappa(units_of(FLEISS_WIKIPEDIA)).value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("yy", "yn", "ny", "nn", "kappa", "observed"),
    [
        # Wikipedia, "Cohen's kappa", simple example: 50 grant proposals, two readers.
        (20, 5, 10, 15, 0.4, 0.7),
        # Wikipedia, "Cohen's kappa", "same percentages but different numbers": 100 items, the
        # same 60% agreement, kappa 0.1304 and 0.2593 (the skew of the marginals decides).
        (45, 15, 25, 15, 0.1304, 0.6),
        (25, 35, 5, 35, 0.2593, 0.6),
    ],
)
def test_cohen_wikipedia(yy: int, yn: int, ny: int, nn: int, kappa: float, observed: float) -> None:
    table = {"Yes": {"Yes": yy, "No": yn}, "No": {"Yes": ny, "No": nn}}
    pairs = pairs_of(table)
    assert cohen_kappa(pairs).value == pytest.approx(kappa, abs=5e-5)
    assert observed_agreement([list(p) for p in pairs]).value == pytest.approx(observed)

    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen

    expected = sm_cohen(np.array([[yy, yn], [ny, nn]])).kappa
    assert cohen_kappa(pairs).value == pytest.approx(expected, rel=1e-12)


def test_gwet_3x3_two_abstractors() -> None:
    pairs = pairs_of(GWET_3X3)
    units = [list(p) for p in pairs]
    assert cohen_kappa(pairs).value == pytest.approx(0.7964094, abs=5e-8)
    assert gwet_ac1(units, categories=list(GWET_3X3)).value == pytest.approx(0.8493305, abs=5e-8)
    assert krippendorff_alpha(units).value == pytest.approx(0.7972585, abs=5e-8)
    assert observed_agreement(units).value == pytest.approx(0.89)


def test_gwet_ac1_depends_on_the_categories_offered() -> None:
    # q, the number of categories the raters could choose, is part of AC1's chance agreement:
    # an unused category offered changes it (and so "disputed" counts even when nobody used it).
    units = [["a", "a"], ["a", "b"], ["b", "b"]]
    assert gwet_ac1(units, "ab").value != gwet_ac1(units, "abc").value
    with pytest.raises(ValueError):
        gwet_ac1(units, "a")
    with pytest.raises(ValueError):
        gwet_ac1([["a", "z"]], "ab")


# --- Cross-checks against the libraries on generated data ----------------------------------

labels = st.integers(min_value=0, max_value=3)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(labels, max_size=5), min_size=1, max_size=15))
def test_alpha_matches_krippendorff_library(units: list[list[int]]) -> None:
    import krippendorff

    ours = krippendorff_alpha(units)
    pairable = Counter(v for unit in units if len(unit) >= 2 for v in unit)
    if not pairable:
        assert ours.value is None and ours.reason == NO_CLAIMS
        return
    if len(pairable) == 1:
        assert ours.value is None and ours.reason == ONE_VERDICT
        return
    raters = max(len(unit) for unit in units)
    data = np.full((raters, len(units)), np.nan)
    for u, unit in enumerate(units):
        data[: len(unit), u] = unit
    expected = krippendorff.alpha(
        reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1, 2, 3]
    )
    assert ours.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda n: st.lists(st.lists(labels, min_size=n, max_size=n), min_size=1, max_size=15)
    )
)
def test_fleiss_matches_statsmodels(units: list[list[int]]) -> None:
    from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

    ours = fleiss_kappa(units)
    if len({v for unit in units for v in unit}) == 1:
        assert ours.value is None and ours.reason == ONE_VERDICT
        return
    table = np.array([[unit.count(k) for k in range(4)] for unit in units])
    assert ours.value == pytest.approx(sm_fleiss(table, method="fleiss"), rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=2, max_size=30))
def test_cohen_matches_statsmodels(pairs: list[tuple[int, int]]) -> None:
    from statsmodels.stats.inter_rater import cohens_kappa as sm_cohen

    ours = cohen_kappa(pairs)
    if len({v for pair in pairs for v in pair}) == 1:
        assert ours.value is None and ours.reason == ONE_VERDICT
        return
    table = np.zeros((4, 4))
    for a, b in pairs:
        table[a, b] += 1
    with np.errstate(divide="ignore", invalid="ignore"):  # its standard errors, on tiny tables
        expected = sm_cohen(table).kappa
    assert ours.value == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=30))
def test_ac1_of_two_raters_is_gwets_two_rater_formula(pairs: list[tuple[int, int]]) -> None:
    # Gwet (2008), two raters, q categories: pi_k = (row_k + col_k) / 2n,
    # p_e = sum_k pi_k (1 - pi_k) / (q - 1); AC1 = (p_a - p_e) / (1 - p_e). No library computes
    # AC1 without pinning an old scipy (docs/development.md), so the multi-rater form is checked
    # against this one, and both against Gwet's printed values above.
    n, q = len(pairs), 4
    p_a = sum(a == b for a, b in pairs) / n
    pi = [
        (sum(a == k for a, _ in pairs) + sum(b == k for _, b in pairs)) / (2 * n) for k in range(q)
    ]
    p_e = sum(p * (1 - p) for p in pi) / (q - 1)
    expected = (p_a - p_e) / (1 - p_e)
    assert gwet_ac1([list(p) for p in pairs], range(q)).value == pytest.approx(expected)


# --- Our verdicts: a case worked by hand ---------------------------------------------------

C, D, X = "confirmed", "denied", "disputed"

#: c1 ann C, bob C, cy C        (in d1)
#: c2 ann C, bob D              (in d1 and d2)
#: c3 ann D, bob D, cy X        (in d2)
#: c4 bob X, cy X               (in d2)
#: c5 ann C                     (in d1; one review: left out everywhere)
HAND = [
    Rated("c1", ("d1",), {"ann": C, "bob": C, "cy": C}),
    Rated("c2", ("d1", "d2"), {"ann": C, "bob": D}),
    Rated("c3", ("d2",), {"ann": D, "bob": D, "cy": X}),
    Rated("c4", ("d2",), {"bob": X, "cy": X}),
    Rated("c5", ("d1",), {"ann": C}),
]


def test_hand_computed_overall() -> None:
    result = agreement(HAND)
    overall = result["overall"]
    assert (overall["claims"], overall["reviewers"], overall["reviews"]) == (4, 3, 10)
    assert overall["verdicts"] == {C: 4, D: 3, X: 3}
    # Krippendorff's alpha: 10 pairable values (C 4, D 3, X 3).
    #   disagreeing coincidences D = sum_u (m_u^2 - sum_c n_uc^2) / (m_u - 1)
    #     c1: (9 - 9)/2 = 0; c2: (4 - 2)/1 = 2; c3: (9 - 5)/2 = 2; c4: (4 - 4)/1 = 0; D = 4
    #   expected (n^2 - sum n_c^2) / (n - 1) = (100 - 34) / 9 = 22/3
    #   alpha = 1 - 4 / (22/3) = 1 - 12/22 = 5/11 = 0.4545
    assert overall["krippendorff_alpha"] == pytest.approx(5 / 11)
    # Fleiss: claims have 3, 2, 3 and 2 reviews -> undefined.
    assert overall["fleiss_kappa"] is None
    assert "different numbers of reviews (2 to 3)" in overall["reasons"]["fleiss_kappa"]
    # Observed: share of agreeing pairs per claim, c1 3/3, c2 0/1, c3 1/3, c4 1/1;
    #   mean (1 + 0 + 1/3 + 1) / 4 = 7/12 = 0.5833
    assert overall["observed_agreement"] == pytest.approx(7 / 12)
    # Gwet's AC1, q = 3: pi_k = mean over claims of the claim's share of verdict k
    #   pi_C = (1 + 1/2) / 4 = 9/24, pi_D = (1/2 + 2/3) / 4 = 7/24, pi_X = (1/3 + 1) / 4 = 8/24
    #   p_e = (9*15 + 7*17 + 8*16) / 576 / 2 = 382/1152 = 191/576
    #   AC1 = (7/12 - 191/576) / (1 - 191/576) = (336 - 191) / 385 = 145/385 = 29/77 = 0.3766
    assert overall["gwet_ac1"] == pytest.approx(29 / 77)
    assert set(overall["reasons"]) == {"fleiss_kappa"}


def test_hand_computed_pairs() -> None:
    pairs = agreement(HAND)["pairs"]
    assert [(p["a"], p["b"], p["claims"]) for p in pairs] == [
        ("ann", "bob", 3),
        ("ann", "cy", 2),
        ("bob", "cy", 3),
    ]
    ann_bob, ann_cy, bob_cy = pairs
    # ann-bob: c1 (C,C), c2 (C,D), c3 (D,D). Agree 2 of 3. Rows ann C 2, D 1; columns bob
    #   C 1, D 2; sum_k a_k b_k = 2*1 + 1*2 = 4; kappa = (3*2 - 4) / (9 - 4) = 2/5
    assert ann_bob["cohen_kappa"] == pytest.approx(0.4)
    assert ann_bob["observed_agreement"] == pytest.approx(2 / 3)
    # ann-cy: c1 (C,C), c3 (D,X). Agree 1 of 2. sum_k a_k b_k = 1 (C); kappa = (2 - 1)/(4 - 1)
    assert ann_cy["cohen_kappa"] == pytest.approx(1 / 3)
    assert ann_cy["observed_agreement"] == 0.5
    # bob-cy: c1 (C,C), c3 (D,X), c4 (X,X). Agree 2 of 3. Rows bob C 1, D 1, X 1; columns cy
    #   C 1, X 2; sum_k a_k b_k = 1 + 0 + 2 = 3; kappa = (6 - 3) / (9 - 3) = 1/2
    assert bob_cy["cohen_kappa"] == pytest.approx(0.5)
    # Confusion: every verdict a row (reviewer a) and a column (reviewer b), zeros included.
    assert ann_bob["confusion"] == {
        C: {C: 1, D: 1, X: 0},
        D: {C: 0, D: 1, X: 0},
        X: {C: 0, D: 0, X: 0},
    }
    assert bob_cy["confusion"][D][X] == 1 and bob_cy["confusion"][X][D] == 0
    for pair in pairs:
        assert list(pair["confusion"]) == list(VERDICTS)
        assert all(list(row) == list(VERDICTS) for row in pair["confusion"].values())
        assert sum(sum(row.values()) for row in pair["confusion"].values()) == pair["claims"]
        assert pair["reasons"] == {}


def test_per_document() -> None:
    result = agreement(HAND)
    assert list(result["documents"]) == ["d1", "d2"]
    d1, d2 = result["documents"]["d1"], result["documents"]["d2"]
    assert set(d1) == {"overall", "pairs"}
    # d1: c1 and c2 (c5 has one review). Values C 4, D 1: D = 2 (c2), expected (25 - 17)/4 = 2,
    #   alpha = 1 - 2/2 = 0.
    assert d1["overall"]["claims"] == 2
    assert d1["overall"]["krippendorff_alpha"] == pytest.approx(0.0)
    # d2: c2, c3, c4; ann and cy share c3 only.
    assert d2["overall"]["claims"] == 3
    assert d2["overall"]["krippendorff_alpha"] == pytest.approx(
        krippendorff_alpha([[C, D], [D, D, X], [X, X]]).value
    )
    pairs = {(p["a"], p["b"]): p for p in d2["pairs"]}
    assert pairs["ann", "cy"]["claims"] == 1
    assert pairs["ann", "cy"]["cohen_kappa"] is None
    assert pairs["ann", "cy"]["reasons"] == {"cohen_kappa": FEW_SHARED}
    assert pairs["ann", "bob"]["claims"] == 2


def test_document_filter() -> None:
    result = agreement(HAND, document="d2")
    assert list(result["documents"]) == ["d2"]
    assert result["overall"]["claims"] == 3
    assert result["documents"]["d2"] == {"overall": result["overall"], "pairs": result["pairs"]}
    assert result["documents"]["d2"] == agreement(HAND)["documents"]["d2"]
    text = to_text(result)
    assert text.startswith("Agreement in document d2\n")
    assert "undefined: fewer than two claims shared" in text


def test_documents_one_at_a_time() -> None:
    # For a server that streams the JSON: the head without documents, then each document.
    whole = agreement(HAND)
    head = agreement(HAND, with_documents=False)
    assert head == {"overall": whole["overall"], "pairs": whole["pairs"]}
    assert dict(iter_documents(HAND)) == whole["documents"]
    assert [doc for doc, _ in iter_documents(HAND)] == list(whole["documents"])


def test_document_filter_without_claims() -> None:
    result = agreement(HAND, document="nowhere")
    assert list(result["documents"]) == ["nowhere"]
    assert result["overall"]["claims"] == 0 and result["pairs"] == []


def test_single_reviews_are_left_out() -> None:
    only_one = [Rated(f"single{i}", ("d",), {"ann": C}) for i in range(5)]
    assert agreement(only_one + HAND) == agreement(HAND)
    result = agreement(only_one)
    overall = result["overall"]
    assert (overall["claims"], overall["reviewers"], overall["reviews"]) == (0, 0, 0)
    for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "observed_agreement"):
        assert overall[name] is None
        assert overall["reasons"][name] == NO_CLAIMS
    assert result["pairs"] == [] and result["documents"] == {}
    assert f"undefined: {NO_CLAIMS}" in to_text(result)


def test_one_verdict_everywhere() -> None:
    # Every review says "confirmed": expected agreement is 1, kappa and alpha are 0/0. AC1 is
    # defined (chance agreement <= 1/q) and is 1; observed agreement is 1.
    items = [Rated(f"c{i}", ("d",), {"ann": C, "bob": C}) for i in range(4)]
    result = agreement(items)
    overall = result["overall"]
    assert overall["krippendorff_alpha"] is None and overall["fleiss_kappa"] is None
    assert overall["reasons"] == {"krippendorff_alpha": ONE_VERDICT, "fleiss_kappa": ONE_VERDICT}
    assert overall["gwet_ac1"] == 1.0 and overall["observed_agreement"] == 1.0
    (pair,) = result["pairs"]
    assert pair["cohen_kappa"] is None and pair["reasons"] == {"cohen_kappa": ONE_VERDICT}
    text = to_text(result)
    assert f"Krippendorff's alpha (nominal)  undefined: {ONE_VERDICT}" in text
    assert f"Cohen's kappa undefined: {ONE_VERDICT}" in text


def test_fleiss_given_when_every_claim_has_as_many_reviews() -> None:
    # Same number of reviews, different reviewers: Fleiss' kappa is defined.
    items = [
        Rated("c1", ("d",), {"ann": C, "bob": C}),
        Rated("c2", ("d",), {"bob": D, "cy": D}),
        Rated("c3", ("d",), {"ann": C, "cy": D}),
    ]
    overall = agreement(items)["overall"]
    # P-bar = (1 + 1 + 0)/3 = 2/3; p_C = p_D = 1/2, P_e = 1/2; kappa = (2/3 - 1/2) / (1/2) = 1/3
    assert overall["fleiss_kappa"] == pytest.approx(1 / 3)
    assert "fleiss_kappa" not in overall["reasons"]


def test_dominant_verdict_is_flagged() -> None:
    # Nine claims both confirm, one ann confirms and bob denies: 95% "confirmed".
    # kappa: N = 10, agree 9, rows C 10, columns C 9 D 1: (90 - 90) / (100 - 90) = 0, while the
    # observed agreement is 90%. AC1: pi_C = 9.5/10, pi_D = 0.05; p_e = (2 * .95 * .05)/2
    # = 0.0475; AC1 = (0.9 - 0.0475) / 0.9525 = 0.895.
    items = [Rated(f"c{i}", ("d",), {"ann": C, "bob": C}) for i in range(9)]
    items.append(Rated("c9", ("d",), {"ann": C, "bob": D}))
    result = agreement(items)
    (pair,) = result["pairs"]
    assert pair["cohen_kappa"] == pytest.approx(0.0)
    assert pair["observed_agreement"] == pytest.approx(0.9)
    assert result["overall"]["gwet_ac1"] == pytest.approx(0.8525 / 0.9525)
    (note,) = result["overall"]["notes"]
    assert "'confirmed' is 95% of the reviews" in note and "observed agreement 90%" in note
    assert pair["notes"] and "Cohen's kappa can be low" in pair["notes"][0]
    # Not for a pair with one shared claim, nor where one verdict is all there is (the reason
    # for the undefined figures says that).
    assert agreement(HAND)["documents"]["d1"]["pairs"][1]["notes"] == []
    assert agreement(items[:9])["overall"]["notes"] == []
    text = to_text(result)
    assert "note: 'confirmed' is 95% of the reviews" in text
    # No such note when the verdicts are spread.
    assert agreement(HAND)["overall"]["notes"] == []


def test_json_serialisable_plain_types() -> None:
    for result in (agreement(HAND), agreement(HAND, document="d1"), agreement([])):
        assert json.loads(json.dumps(result, allow_nan=False)) == result

    def plain(value: object) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    assert plain(agreement(HAND))


def test_shape() -> None:
    result = agreement(HAND)
    assert set(result) == {"overall", "pairs", "documents"}
    assert set(result["overall"]) == {
        "claims",
        "reviewers",
        "reviews",
        "krippendorff_alpha",
        "fleiss_kappa",
        "gwet_ac1",
        "observed_agreement",
        "verdicts",
        "reasons",
        "notes",
    }
    assert set(result["pairs"][0]) == {
        "a",
        "b",
        "claims",
        "cohen_kappa",
        "observed_agreement",
        "confusion",
        "reasons",
        "notes",
    }


def test_pairs_sorted_by_names() -> None:
    items = [
        Rated("c1", ("d",), {"zoe": C, "Bea": D, "al": C}),
        Rated("c2", ("d",), {"al": D, "zoe": D}),
    ]
    names = [(p["a"], p["b"]) for p in agreement(items)["pairs"]]
    assert names == sorted(names)
    assert all(a < b for a, b in names)
    assert names == [("Bea", "al"), ("Bea", "zoe"), ("al", "zoe")]


def test_claim_in_a_document_twice_counts_once() -> None:
    result = agreement([Rated("c1", ("d", "d"), {"ann": C, "bob": D})])
    assert result["documents"]["d"]["overall"]["claims"] == 1


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="not one of"):
        agreement([Rated("c1", ("d",), {"ann": "true", "bob": C})])
    with pytest.raises(ValueError, match="given twice"):
        agreement([HAND[0], HAND[0]])


def test_text_report() -> None:
    text = to_text(agreement(HAND))
    assert text.startswith("Agreement over all documents\n")
    assert "4 claims with two or more reviews, 3 reviewers, 10 reviews" in text
    assert "Krippendorff's alpha (nominal)  0.4545" in text
    assert "Gwet's AC1                      0.3766" in text
    assert "observed agreement              58.3%" in text
    assert "undefined: claims have different numbers of reviews (2 to 3)" in text
    assert "ann and bob: 3 shared claims, Cohen's kappa 0.4000, observed agreement 66.7%" in text
    assert "\nDocument d1\n" in text and "\nDocument d2\n" in text
    # The confusion matrix, rows reviewer a.
    assert "ann \\ bob  confirmed  denied  disputed" in text
    assert "confirmed          1       1         0" in text


rated = st.lists(
    st.builds(
        lambda docs, verdicts: (docs, verdicts),
        st.lists(st.sampled_from(["d1", "d2", "d3"]), max_size=2).map(tuple),
        st.dictionaries(st.sampled_from(["ann", "bob", "cy", "dee"]), st.sampled_from(VERDICTS)),
    ),
    max_size=12,
).map(lambda rows: [Rated(f"c{i}", docs, v) for i, (docs, v) in enumerate(rows)])


@settings(max_examples=100, deadline=None)
@given(rated)
def test_properties_on_generated_reviews(items: list[Rated]) -> None:
    result = agreement(items)
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    counted = [item for item in items if len(item.verdicts) >= 2]
    assert result["overall"]["claims"] == len(counted)
    assert result["overall"]["reviews"] == sum(len(item.verdicts) for item in counted)
    assert set(result["documents"]) == {doc for item in counted for doc in item.documents}
    for doc, block in result["documents"].items():
        alone = agreement(items, document=doc)
        assert alone["documents"] == {doc: block}
        assert {"overall": alone["overall"], "pairs": alone["pairs"]} == block
    for pair in result["pairs"]:
        shared = [i for i in counted if pair["a"] in i.verdicts and pair["b"] in i.verdicts]
        assert pair["claims"] == len(shared)
        table = pair["confusion"]
        for item in shared:
            table[item.verdicts[pair["a"]]][item.verdicts[pair["b"]]] -= 1
        assert all(n == 0 for row in table.values() for n in row.values())
    for block in [result["overall"], *result["pairs"]]:
        for name, reason in block["reasons"].items():
            assert block[name] is None and reason
    for name in ("krippendorff_alpha", "fleiss_kappa", "gwet_ac1", "observed_agreement"):
        value = result["overall"][name]
        assert (value is None) == (name in result["overall"]["reasons"])
        assert value is None or value <= 1.0
    assert to_text(result)


def test_importing_the_module_loads_no_numpy() -> None:
    # The server imports this module for the agreement page; it must stay light
    # (docs/development.md, "Agreement figures").
    code = "import sys, annotate.record.agreement; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
