"""The service (record/service.py): each accepted change adds one version and is recorded;
stale and invalid changes write nothing; ids; deletion."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from annotate.errors import AlreadyExists, InvalidInput, StaleVersion
from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, quote

VERDICT = {
    "verdict": "confirmed",
    "rationale": "Both articles report it.",
    "sources": [{"stance": "supports", "quote": None}],
}


def confirm(ws: Workspace, claim_id: str, version: int) -> dict[str, object]:
    src = quote(ws, DOC_AZERNEWS, "Former Armenian President Serzh Sargsyan has admitted")
    body = {**VERDICT, "sources": [{"stance": "supports", "quote": src}]}
    return ws.set_verdict(claim_id, version, body, actor="ana").public()


def test_each_accepted_change_adds_exactly_one_to_the_version_and_is_recorded(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    claim = make_claim()
    cid = str(claim["id"])
    ws.edit_claim(cid, 1, {"claimant": "ANAMA (Idris Ismayilov)"}, actor="ben")
    after = confirm(ws, cid, 2)
    assert after["version"] == 3
    history = ws.claim(cid).history
    assert [h.version for h in history] == [1, 2, 3]
    assert [h.action for h in history] == ["created", "edited", "verdict"]
    assert history[1].by == "ben"
    assert history[1].changes == {"claimant": ["ANAMA", "ANAMA (Idris Ismayilov)"]}
    assert set(history[2].changes) == {"verdict", "rationale", "sources", "reviewer"}


def test_a_stale_version_is_refused_and_changes_nothing(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    ws.edit_claim(cid, 1, {"statement": "First edit wins"}, actor="ana")
    before = ws.store.path_for(cid).read_bytes()
    with pytest.raises(StaleVersion) as exc:
        ws.edit_claim(cid, 1, {"statement": "Second edit from an old read"}, actor="ben")
    assert exc.value.current.statement == "First edit wins"
    assert exc.value.current.version == 2
    assert ws.store.path_for(cid).read_bytes() == before


def test_an_invalid_change_writes_nothing(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    before = ws.store.path_for(cid).read_bytes()
    with pytest.raises(InvalidInput) as exc:
        ws.set_verdict(cid, 1, {"verdict": "denied", "rationale": "x", "sources": []}, "ana")
    assert exc.value.details[0]["field"] == "sources"
    with pytest.raises(InvalidInput) as exc:
        ws.edit_claim(
            cid,
            1,
            {"appearances": [{"doc": DOC_AZERNEWS, "start": 0, "end": 4, "exact": "Nope"}]},
            "ana",
        )
    assert exc.value.details[0]["field"] == "appearances[0].exact"
    assert "the text there is 'Mond'" in exc.value.details[0]["message"]
    assert ws.store.path_for(cid).read_bytes() == before


def test_ids_are_unique_and_url_safe(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    a = make_claim(statement="Два ракеты «Искандер»: fired on Shusha!")
    b = make_claim(statement="Два ракеты «Искандер»: fired on Shusha!")
    assert a["id"] == "dva-rakety-iskander-fired-on-shusha"  # Cyrillic spelt in ASCII
    assert str(b["id"]).startswith("dva-rakety-iskander-fired-on-shusha-") and a["id"] != b["id"]
    with pytest.raises(AlreadyExists):
        ws.create_claim(
            {
                "id": a["id"],
                "statement": "s",
                "claimant": "c",
                "appearances": [quote(ws, DOC_AZERNEWS, "Sargsyan")],
            },
            "ana",
        )


def test_delete_moves_the_claim_to_trash_with_its_history(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    with pytest.raises(StaleVersion):
        ws.delete_claim(cid, 7, actor="ana")
    ws.delete_claim(cid, 1, actor="ana")
    assert not ws.store.path_for(cid).exists()
    assert cid not in [c.id for c in ws.store.claims()]
    (kept,) = (ws.store.root / ".trash").glob(f"{cid}.v2.*.json")
    assert json.loads(kept.read_text())["history"][-1]["action"] == "deleted"
