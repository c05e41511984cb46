"""The polarity rules behind the suggestions (annotate/record/polarity.py): which passages
say a claim's opposite, and why. The panel and the API show these reasons (test_search)."""

from __future__ import annotations

import pytest

from annotate.record.polarity import claimed, relation

NOT_USED = (
    "Iskander missile systems were not used in the Karabakh war, and this has been confirmed."
)
USED = "Armenia used Iskander missiles in the last days of the war."


@pytest.mark.parametrize(
    ("claim", "passage", "opposite"),
    [
        (NOT_USED, "He reiterated that Iskander should have been used.", True),
        (NOT_USED, "I disagree with the statements that Iskander was not used by Armenia.", True),
        (NOT_USED, "No Iskander missiles were used during the conflict.", False),
        (NOT_USED, "None of the missile systems of this type were used.", False),
        (NOT_USED, "Iskanders weren’t used, Moscow said.", False),
        (NOT_USED, "The reports that Iskanders were used are false.", False),
        (NOT_USED, "Moscow denied using Iskanders.", False),
        (USED, "Iskander missiles were never used by Armenia.", True),
        (USED, "Yerevan denied that Iskanders were used.", True),
        (USED, "Not only Iskanders were used, but also Tochkas.", False),  # "not only"
        (USED, "The launch site was not far from where Iskanders were used.", False),
    ],
)
def test_a_passage_says_the_claim_or_its_opposite(claim: str, passage: str, opposite: bool) -> None:
    found = relation(claimed(claim), passage)
    assert found is not None and found.opposite is opposite, found


def test_a_negation_of_something_else_is_left_out_of_the_clause() -> None:
    # The comma ends the clause of "not": "used" is not covered by it.
    found = relation(claimed(NOT_USED), "It was not raining, and Iskanders were used.")
    assert found is not None and found.opposite


def test_a_passage_without_the_claims_predicate_says_neither() -> None:
    assert relation(claimed(NOT_USED), "Iskander missiles did not explode.") is None


def test_the_reason_quotes_both_sides() -> None:
    found = relation(claimed(NOT_USED), "He reiterated that Iskander should have been used.")
    assert found is not None and found.reason == "says the opposite: “not used” vs “used”"
    same = relation(claimed(NOT_USED), "No Iskander missiles were used.")
    assert (
        same is not None and same.reason == "says the same: “No … used” as the claim’s “not used”"
    )
