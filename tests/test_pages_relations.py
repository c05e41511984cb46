"""The claim panel's "Related claims": relations shown and linked, the question a claim
answers with the other answers, candidates from the polarity suggestions, a search by words,
naming the question; every form without JavaScript too, CSRF and version checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .webutil import Node, csrf, page, parse, snapshot

HX = {"HX-Request": "true"}
MOD = "ru-mod-no-iskander-used"  # names "Were Iskanders used?" (no) in the shipped record
PESKOV = "kremlin-iskanders-not-used"  # repeats MOD
RETRACTION = "pashinyan-office-retracted-iskander-remark"  # contradicts Pashinyan's remark
CEASEFIRE = "second-karabakh-war-lasted-44-days"  # linked to nothing


@pytest.fixture
def token(client: Any) -> str:
    return csrf(client)


def stored(store: Path, cid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((store / f"{cid}.json").read_text(encoding="utf-8"))
    return data


def panel(client: Any, cid: str, **args: str) -> Node:
    resp = client.get(f"/claims/{cid}", query_string=args, headers=HX)
    assert resp.status_code == 200
    return parse(resp.get_data(as_text=True)).by_id("claim-panel")


def related(root: Node) -> Node:
    return root.one("section", data_related=True)


def test_the_panel_shows_the_relations_and_the_question_with_the_other_answers(
    client: Any,
) -> None:
    section = related(panel(client, PESKOV))
    (link,) = section.find_all("li", data_relation="repeats")
    assert link.get("data-other") == MOD
    assert "repeats" in link.text()
    assert link.one("a").get("href") == f"/claims/{MOD}"
    assert "No Iskander missile systems were used" in link.one("a").text()
    question = section.one(data_question=MOD)
    assert question.one(data_question_name=True).text() == "Were Iskanders used?"
    assert question.find_all(data_answer="no")[0].text() == "no"  # this claim's answer
    answers = {
        a.get("data-claim-link"): li.one(data_answer=True).text()
        for li in question.one("ul").find_all("li")
        for a in li.find_all("a")
    }
    assert answers[MOD] == "no"
    assert answers["pashinyan-iskanders-did-not-explode"] == "yes"
    assert answers[RETRACTION] == "no"
    assert PESKOV not in answers
    # From the other side: the claims linking to it are listed too.
    incoming = related(panel(client, MOD)).find_all("li", data_incoming="repeats")
    assert PESKOV in [li.get("data-other") for li in incoming]


def test_candidates_come_from_the_polarity_suggestions_with_the_reason(client: Any) -> None:
    section = related(panel(client, MOD))
    offered = {li.get("data-other"): li for li in section.find_all("li", data_candidate=True)}
    # A claim that says the same thing, not linked yet: offered as "repeats?".
    same = offered["mod-statement-concerned-iskander-m"]
    assert same.get("data-candidate") == "repeats"
    assert "says the same: “not used”" in same.one(class_="reason").text()
    form = same.one("form")
    assert form.get("action") == f"/claims/{MOD}/relations"
    assert form.one("input", name="kind").get("value") == "repeats"
    # The claims already linked to it, either way, are not offered again.
    assert PESKOV not in offered and MOD not in offered


@pytest.mark.parametrize("hx", [False, True])
def test_a_relation_is_added_and_removed_through_the_panel(
    client: Any, token: str, store: Path, hx: bool
) -> None:
    version = stored(store, CEASEFIRE)["version"]
    resp = client.post(
        f"/claims/{CEASEFIRE}/relations",
        data={
            "csrf_token": token,
            "version": str(version),
            "kind": "supports",
            "claim": "ceasefire-signed-10-november-2020",
        },
        headers=HX if hx else {},
    )
    if hx:
        assert resp.status_code == 200
        shown = related(parse(resp.get_data(as_text=True)).by_id("claim-panel"))
        assert shown.one("li", data_relation="supports").get("data-other") == (
            "ceasefire-signed-10-november-2020"
        )
    else:
        assert resp.status_code == 303
        assert f"claim={CEASEFIRE}" in resp.headers["Location"]
    saved = stored(store, CEASEFIRE)
    assert saved["relations"] == [
        {"claim": "ceasefire-signed-10-november-2020", "kind": "supports"}
    ]
    assert saved["version"] == version + 1
    # The history says what was linked, in words.
    said = [s.text() for s in panel(client, CEASEFIRE).find_all(data_linked_change=True)]
    assert said == ["linked: supports ceasefire-signed-10-november-2020"]
    # The same claim linked again with another kind changes the kind (one link per claim).
    client.post(
        f"/claims/{CEASEFIRE}/relations",
        data={
            "csrf_token": token,
            "version": str(version + 1),
            "kind": "repeats",
            "claim": "ceasefire-signed-10-november-2020",
        },
    )
    assert stored(store, CEASEFIRE)["relations"] == [
        {"claim": "ceasefire-signed-10-november-2020", "kind": "repeats"}
    ]
    removed = client.post(
        f"/claims/{CEASEFIRE}/relations/0/delete",
        data={"csrf_token": token, "version": str(version + 2)},
    )
    assert removed.status_code == 303
    assert "relations" not in stored(store, CEASEFIRE)


def test_a_link_to_an_unknown_claim_or_a_stale_version_changes_nothing_and_keeps_the_form(
    client: Any, token: str, store: Path
) -> None:
    before = snapshot(store)
    version = stored(store, CEASEFIRE)["version"]
    resp = client.post(
        f"/claims/{CEASEFIRE}/relations",
        data={"csrf_token": token, "version": str(version), "kind": "repeats", "claim": "no-such"},
        headers=HX,
    )
    assert resp.status_code == 422
    shown = parse(resp.get_data(as_text=True)).by_id("claim-panel")
    assert (
        "relations[0].claim: no claim 'no-such' in the record"
        in shown.by_id("err-relations").text()
    )
    assert shown.one("input", name="claim", id="relation-claim").get("value") == "no-such"
    stale = client.post(
        f"/claims/{CEASEFIRE}/relations",
        data={"csrf_token": token, "version": str(version - 1), "kind": "repeats", "claim": MOD},
        headers=HX,
    )
    assert stale.status_code == 409
    no_token = client.post(
        f"/claims/{CEASEFIRE}/relations",
        data={"version": str(version), "kind": "repeats", "claim": MOD},
    )
    assert no_token.status_code in (400, 403)
    assert snapshot(store) == before


def test_a_search_by_words_offers_claims_to_link_with_and_without_javascript(
    client: Any,
) -> None:
    section = related(panel(client, CEASEFIRE, relate_q="Peskov"))
    choices = [
        i.get("value") for i in section.by_id("form-relation").find_all("input", name="claim")
    ]
    assert PESKOV in choices and CEASEFIRE not in choices
    plain = client.get(f"/claims/{CEASEFIRE}", query_string={"relate_q": "Peskov"})
    assert plain.status_code == 302
    assert "relate_q=Peskov" in plain.headers["Location"]
    full = page(client.get(plain.headers["Location"]))
    form = full.by_id("form-relation")
    assert PESKOV in [i.get("value") for i in form.find_all("input", name="claim")]


def test_naming_the_question_and_taking_the_name_away(client: Any, token: str, store: Path) -> None:
    version = stored(store, RETRACTION)["version"]
    client.post(
        f"/claims/{MOD}/question",
        data={
            "csrf_token": token,
            "version": str(stored(store, MOD)["version"]),
            "question_name": "Did Russia's Iskanders fly in the 2020 war?",
            "answer": "no",
        },
    )
    assert stored(store, MOD)["question"] == {
        "answer": "no",
        "name": "Did Russia's Iskanders fly in the 2020 war?",
    }
    shown = related(panel(client, RETRACTION))
    assert (
        shown.one(data_question_name=True).text() == "Did Russia's Iskanders fly in the 2020 war?"
    )
    said = [s.text() for s in panel(client, MOD).find_all(data_linked_change=True)]
    assert (
        said[0] == "question named: “Did Russia's Iskanders fly in the 2020 war?” (this claim: no)"
    )
    resp = client.post(
        f"/claims/{MOD}/question",
        data={
            "csrf_token": token,
            "version": str(stored(store, MOD)["version"]),
            "question_name": "",
            "answer": "no",
        },
        headers=HX,
    )
    assert resp.status_code == 200
    assert "question" not in stored(store, MOD)
    unnamed = related(panel(client, RETRACTION))
    assert unnamed.one(data_question_name=True).text() == "unnamed question"
    assert stored(store, RETRACTION)["version"] == version


def test_a_claim_others_link_to_is_not_deleted_from_the_panel(
    client: Any, token: str, store: Path
) -> None:
    before = snapshot(store)
    resp = client.post(
        f"/claims/{MOD}/delete",
        data={"csrf_token": token, "version": str(stored(store, MOD)["version"])},
        headers=HX,
    )
    assert resp.status_code == 409
    text = parse(resp.get_data(as_text=True)).by_id("err-delete").text()
    assert text.startswith("linked_by: ") and PESKOV in text
    assert "remove their relations to it first" in text
    assert snapshot(store) == before


@pytest.fixture
def claim_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The claim files parsed from now on (by the store's index or a read of one claim)."""
    from annotate.record.store import claims as store_claims
    from annotate.record.store import index as store_index

    parsed: list[Path] = []
    real = store_index.parse_claim_file

    def counting(path: Any) -> Any:
        parsed.append(Path(path))
        return real(path)

    monkeypatch.setattr(store_index, "parse_claim_file", counting)
    monkeypatch.setattr(store_claims, "parse_claim_file", counting)
    return parsed


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/claims/{PESKOV}"),  # the panel: links to it, its question, candidates
        ("GET", "/api/questions"),
        ("GET", f"/api/questions/{MOD}"),
        ("DELETE", f"/api/claims/{MOD}"),  # refused: others link to it
    ],
)
def test_relations_and_questions_are_worked_out_without_reading_every_claim_file(
    client: Any, store: Path, claim_reads: list[Path], method: str, path: str
) -> None:
    """Who links to a claim and which question it answers come from the index (each claim's
    summary has its relations and question name); only the claims shown are read. Reading
    every claim file made opening a claim take 16 s at 100,000 claims, as did a delete (the
    check that nothing links to it) and `/api/questions`."""
    unlinked = json.loads((store / f"{CEASEFIRE}.json").read_text(encoding="utf-8"))
    for n in range(40):  # claims linked to nothing, on no document of those claims
        unlinked["id"] = f"unlinked-claim-{n}"
        (store / f"unlinked-claim-{n}.json").write_text(json.dumps(unlinked), encoding="utf-8")
    client.get("/claims")  # the index is built
    etag = client.get(f"/api/claims/{MOD}").headers["ETag"]
    claim_reads.clear()
    headers = {**HX, "If-Match": etag} if method == "DELETE" else HX
    resp = client.open(path, method=method, headers=headers)
    assert resp.status_code in (200, 409), resp.get_data(as_text=True)[:300]
    if method == "DELETE":
        assert resp.status_code == 409
        assert PESKOV in resp.get_json()["error"]
    needless = sorted(p.name for p in set(claim_reads) if p.name.startswith("unlinked-claim-"))
    assert not needless, f"{len(needless)} claims that the answer has nothing to do with read"


def test_a_claim_repeating_one_that_links_to_nothing_makes_a_question_with_it(
    client: Any, store: Path
) -> None:
    """The claim linked to need not link to anything itself: the two answer one question,
    in `/api/questions` and in both panels (worked out from every claim's summary, not only
    from those that have links)."""
    lone = "aliyev-called-putin-about-marking"  # linked to nothing, names nothing
    assert "relations" not in stored(store, lone) and "relations" not in stored(store, CEASEFIRE)
    assert "question" not in stored(store, lone)
    before = client.get("/api/questions").get_json()  # worked out (and kept) before the link
    assert not [q for q in before if {a["claim"] for a in q["answers"]} & {lone, CEASEFIRE}]
    assert not related(panel(client, lone)).find_all("li", data_incoming="repeats")
    etag = client.get(f"/api/claims/{CEASEFIRE}").headers["ETag"]
    resp = client.patch(
        f"/api/claims/{CEASEFIRE}",
        json={"relations": [{"kind": "repeats", "claim": lone}]},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 200, resp.get_json()
    (found,) = [q for q in client.get("/api/questions").get_json() if q["id"] in (lone, CEASEFIRE)]
    assert {a["claim"]: a["answer"] for a in found["answers"]} == {lone: "yes", CEASEFIRE: "yes"}
    assert client.get(f"/api/questions/{found['id']}").status_code == 200
    for cid, other in ((CEASEFIRE, lone), (lone, CEASEFIRE)):
        section = related(panel(client, cid))
        question = section.one(data_question=found["id"])
        assert other in [a.get("data-claim-link") for a in question.find_all("a")], cid
    assert related(panel(client, lone)).one("li", data_incoming="repeats").get("data-other") == (
        CEASEFIRE
    )
