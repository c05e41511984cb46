"""Claim relations and the questions they form: the model through the API, and how the
groups and their answers are worked out (`record/questions.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotate.record.models import Claim
from annotate.record.questions import question_of, questions

MOD = "ru-mod-no-iskander-used"  # the Russian MoD, 26 February 2021
PESKOV = "kremlin-iskanders-not-used"
FIRED = "iskander-missile-fired-at-shusha"


def _patch(client: Any, claim_id: str, body: dict[str, Any]) -> Any:
    version = client.get(f"/api/claims/{claim_id}").get_json()["version"]
    return client.patch(f"/api/claims/{claim_id}", json=body, headers={"If-Match": f'"{version}"'})


def _claims(store: Path) -> list[Claim]:
    return [Claim.model_validate(json.loads(p.read_text())) for p in sorted(store.glob("*.json"))]


def test_relations_and_a_question_name_are_kept_in_the_claim_file(client: Any, store: Path) -> None:
    resp = _patch(
        client,
        PESKOV,
        {
            "relations": [
                {"kind": "repeats", "claim": MOD},
                {"kind": "contradicts", "claim": FIRED},
            ],
            "question": {"name": "Were Iskanders used?", "answer": "no"},
        },
    )
    assert resp.status_code == 200, resp.get_json()
    saved = json.loads((store / f"{PESKOV}.json").read_text())
    assert saved["relations"] == [
        {"claim": MOD, "kind": "repeats"},
        {"claim": FIRED, "kind": "contradicts"},
    ]
    assert saved["question"] == {"answer": "no", "name": "Were Iskanders used?"}
    assert client.get(f"/api/claims/{PESKOV}").get_json()["relations"] == saved["relations"]
    # A claim without relations says nothing of them, in its file and in the API.
    assert "relations" not in json.loads((store / f"{MOD}.json").read_text())
    assert "relations" not in client.get(f"/api/claims/{MOD}").get_json()


def test_a_claim_is_not_linked_to_itself_or_twice_to_one_claim(client: Any, store: Path) -> None:
    before = (store / f"{PESKOV}.json").read_bytes()
    itself = _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": PESKOV}]})
    assert itself.status_code == 422
    assert "a claim is not linked to itself" in itself.get_json()["error"]
    twice = _patch(
        client,
        PESKOV,
        {"relations": [{"kind": "repeats", "claim": MOD}, {"kind": "supports", "claim": MOD}]},
    )
    assert twice.status_code == 422
    assert f"'{MOD}' is linked twice" in twice.get_json()["error"]
    unknown_kind = _patch(client, PESKOV, {"relations": [{"kind": "agrees", "claim": MOD}]})
    assert unknown_kind.status_code == 422
    assert (store / f"{PESKOV}.json").read_bytes() == before


def test_answers_follow_the_links_from_the_claim_that_names_the_question(
    client: Any, store: Path
) -> None:
    _patch(client, MOD, {"question": {"name": "Were Iskanders used?", "answer": "no"}})
    _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": MOD}]})
    _patch(client, FIRED, {"relations": [{"kind": "contradicts", "claim": PESKOV}]})
    found = questions(_claims(store))
    named = question_of(MOD, found)
    assert named is not None
    assert (named.id, named.name, named.named_by) == (MOD, "Were Iskanders used?", MOD)
    assert named.answers == {FIRED: "yes", PESKOV: "no", MOD: "no"}
    assert named.claims("yes") == [FIRED]
    assert named.problems == []
    assert found[0] is named  # named questions first


def test_supports_is_evidence_not_an_answer(client: Any, store: Path) -> None:
    _patch(client, PESKOV, {"relations": [{"kind": "supports", "claim": MOD}]})
    assert question_of(PESKOV, questions(_claims(store))) is None


def test_a_group_that_cannot_be_answered_consistently_says_why(client: Any, store: Path) -> None:
    _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": MOD}]})
    _patch(
        client,
        FIRED,
        {
            "relations": [
                {"kind": "contradicts", "claim": PESKOV},
                {"kind": "repeats", "claim": MOD},
            ]
        },
    )
    _patch(client, MOD, {"question": {"name": "Were Iskanders used?", "answer": "no"}})
    _patch(client, PESKOV, {"question": {"name": "Iskanders used?", "answer": "no"}})
    (found,) = [q for q in questions(_claims(store)) if MOD in q.answers]
    assert len(found.problems) == 2
    assert found.problems[0].startswith("one question named by 2 claims")
    assert "their other links give them" in found.problems[1]
    unnamed = [q for q in questions(_claims(store)) if q.name is None]
    assert unnamed == []
