"""Claim relations and the questions they form: the model through the API, and how the
groups and their answers are worked out (`record/questions.py`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotate.record.models import Claim
from annotate.record.questions import question_of, questions

from .conftest import DOC_BBC

MOD = "ru-mod-no-iskander-used"  # the Russian MoD, 26 February 2021
PESKOV = "kremlin-iskanders-not-used"
FIRED = "iskander-missile-fired-at-shusha"


@pytest.fixture(autouse=True)
def _unlinked(unlinked: Path) -> None:
    """Each test makes the links it is about (the shipped ones are tested in
    test_pages_relations and test_check)."""


def _patch(client: Any, claim_id: str, body: dict[str, Any]) -> Any:
    version = client.get(f"/api/claims/{claim_id}").get_json()["version"]
    return client.patch(f"/api/claims/{claim_id}", json=body, headers={"If-Match": f'"{version}"'})


def _shusha(store: Path) -> dict[str, Any]:
    """An appearance on a passage of the BBC article."""
    text = (store.parent / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8")
    exact = "Two missiles fired on Shusha"
    start = text.index(exact)
    return {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}


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
    assert twice.get_json()["details"] == [
        {
            "field": "relations",
            "message": f"'{MOD}' is linked twice: a claim has one relation to another",
        }
    ]
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


# -- the service's rules: links to claims that exist; deleting a linked-to claim -----------


def test_a_link_to_an_unknown_claim_is_refused_naming_it_and_changes_nothing(
    client: Any, store: Path
) -> None:
    before = (store / f"{PESKOV}.json").read_bytes()
    resp = _patch(
        client,
        PESKOV,
        {"relations": [{"kind": "repeats", "claim": MOD}, {"kind": "supports", "claim": "nope"}]},
    )
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["details"] == [
        {"field": "relations[1].claim", "message": "no claim 'nope' in the record"}
    ]
    assert (store / f"{PESKOV}.json").read_bytes() == before
    created = client.post(
        "/api/claims",
        json={
            "statement": "Iskanders were used",
            "claimant": "someone",
            "appearances": [_shusha(store)],
            "relations": [{"kind": "contradicts", "claim": "not-a-claim"}],
        },
    )
    assert created.status_code == 422
    assert created.get_json()["details"][0]["field"] == "relations[0].claim"


def test_a_new_claim_keeps_its_relations_and_question(client: Any, store: Path) -> None:
    resp = client.post(
        "/api/claims",
        json={
            "id": "someone-says-iskanders-used",
            "statement": "Iskanders were used",
            "claimant": "someone",
            "appearances": [_shusha(store)],
            "relations": [{"kind": "contradicts", "claim": MOD}],
            "question": {"name": "Were Iskanders used?", "answer": "yes"},
        },
    )
    assert resp.status_code == 201, resp.get_json()
    saved = json.loads((store / "someone-says-iskanders-used.json").read_text())
    assert saved["relations"] == [{"claim": MOD, "kind": "contradicts"}]
    assert saved["question"] == {"answer": "yes", "name": "Were Iskanders used?"}


def test_a_claim_others_link_to_is_not_deleted_until_the_links_go(client: Any, store: Path) -> None:
    _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": MOD}]})
    version = client.get(f"/api/claims/{MOD}").get_json()["version"]
    refused = client.delete(f"/api/claims/{MOD}", headers={"If-Match": f'"{version}"'})
    assert refused.status_code == 409
    assert PESKOV in refused.get_json()["error"]
    assert refused.get_json()["details"] == [
        {"field": "linked_by", "message": f"{PESKOV}: remove their relations to it first"}
    ]
    assert (store / f"{MOD}.json").exists()
    _patch(client, PESKOV, {"relations": []})
    gone = client.delete(f"/api/claims/{MOD}", headers={"If-Match": f'"{version}"'})
    assert gone.status_code == 204
    assert not (store / f"{MOD}.json").exists()


def test_history_names_each_relation_added_or_removed(client: Any) -> None:
    _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": MOD}]})
    _patch(
        client,
        PESKOV,
        {"relations": [{"kind": "repeats", "claim": MOD}, {"kind": "contradicts", "claim": FIRED}]},
    )
    _patch(client, PESKOV, {"relations": [{"kind": "contradicts", "claim": FIRED}]})
    history = client.get(f"/api/claims/{PESKOV}/history").get_json()
    assert history[-2]["changes"] == {
        "relations[1]": [None, {"claim": FIRED, "kind": "contradicts"}]
    }
    assert history[-1]["changes"] == {"relations[0]": [{"claim": MOD, "kind": "repeats"}, None]}


def test_a_claim_sent_back_as_got_is_one_change_not_a_new_version(client: Any) -> None:
    _patch(
        client,
        PESKOV,
        {
            "relations": [{"kind": "repeats", "claim": MOD}],
            "question": {"name": "Were Iskanders used?", "answer": "no"},
        },
    )
    got = client.get(f"/api/claims/{PESKOV}")
    back = client.patch(
        f"/api/claims/{PESKOV}", json=got.get_json(), headers={"If-Match": got.headers["ETag"]}
    )
    assert back.status_code == 200, back.get_json()
    assert back.headers["ETag"] == got.headers["ETag"]
    removed = _patch(client, PESKOV, {"question": None})
    assert removed.status_code == 200 and "question" not in removed.get_json()


# -- GET /api/questions ------------------------------------------------------------------


def test_the_api_lists_each_question_with_its_claims_answers(client: Any) -> None:
    _patch(client, MOD, {"question": {"name": "Were Iskanders used?", "answer": "no"}})
    _patch(client, PESKOV, {"relations": [{"kind": "repeats", "claim": MOD}]})
    _patch(client, FIRED, {"relations": [{"kind": "contradicts", "claim": MOD}]})
    listed = client.get("/api/questions").get_json()
    (named,) = [q for q in listed if q["id"] == MOD]
    assert named["name"] == "Were Iskanders used?" and named["named_by"] == MOD
    assert named["problems"] == []
    by_claim = {a["claim"]: a for a in named["answers"]}
    assert [a["claim"] for a in named["answers"]] == sorted(by_claim)
    assert {c: a["answer"] for c, a in by_claim.items()} == {MOD: "no", PESKOV: "no", FIRED: "yes"}
    mod = client.get(f"/api/claims/{MOD}").get_json()
    assert by_claim[MOD]["claimant"] == mod["claimant"]
    assert by_claim[MOD]["verdict"] == mod.get("verdict")
    assert by_claim[MOD]["short_statement"] == mod.get("short_statement", mod["statement"])
    assert by_claim[MOD]["claim_date"] == mod.get("claim_date")
    assert client.get(f"/api/questions/{MOD}").get_json() == named
    member = client.get(f"/api/questions/{PESKOV}")
    assert member.status_code == 404
    assert member.get_json()["error"] == f"claim {PESKOV} answers question '{MOD}'"
    assert client.get("/api/questions/nothing-here").status_code == 404
