"""The timeline and the matrix on a large record (issue #18): the claims are chosen from the
store's index, only those drawn are read in full, and a picture draws at most `MAX_DRAWN`
claims: beyond, the pages say how many and ask for a filter, the files and `annotate
picture` refuse. On the shipped record as it is, with filler claims linked to nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .test_pages_relations import CEASEFIRE, claim_reads  # noqa: F401 (fixture)
from .test_reviews import adam, alice, desk, reviewers_template  # noqa: F401 (fixtures)
from .webutil import page

FILLERS = 30
CLAIMANT = "Ilham Aliyev"  # not the fillers' claimant


def _fill(store: Path) -> str:
    """Claims linked to nothing, on the document of an unlinked claim; their claimant."""
    unlinked = json.loads((store / f"{CEASEFIRE}.json").read_text(encoding="utf-8"))
    assert not unlinked.get("relations") and not unlinked.get("question")
    for n in range(FILLERS):
        unlinked["id"] = f"filler-claim-{n}"
        (store / f"filler-claim-{n}.json").write_text(json.dumps(unlinked), encoding="utf-8")
    return str(unlinked["claimant"])


def _question(client: Any) -> str:
    found = client.get("/api/questions").get_json()
    return str(found[0]["id"])


@pytest.mark.parametrize(
    "path",
    [
        "/matrix",
        "/matrix.json",
        "/matrix.svg",
        f"/timeline?claimant={CLAIMANT.replace(' ', '+')}",
        f"/timeline.json?claimant={CLAIMANT.replace(' ', '+')}",
        "/timeline?question={question}",
        "/timeline.svg?question={question}&verdict=denied",
    ],
)
def test_a_picture_reads_only_the_claims_it_draws(
    client: Any,
    store: Path,
    claim_reads: list[Path],  # noqa: F811
    path: str,
) -> None:
    """The matrix reads no claim that answers no question, a filtered timeline none that
    the filters leave out (reading every claim file made /matrix take 15 s at 100,000
    claims); what they show is what they showed before the filler claims."""
    path = path.replace("{question}", _question(client))
    before = client.get(path)
    assert before.status_code == 200, before.get_data(as_text=True)[:300]
    _fill(store)
    client.get("/claims")  # the index is built
    claim_reads.clear()
    after = client.get(path)
    assert after.status_code == 200
    needless = sorted(p.name for p in set(claim_reads) if p.name.startswith("filler-claim-"))
    assert not needless, f"{len(needless)} claims the picture does not draw read"
    assert after.get_data() == before.get_data()


def test_the_claimant_choices_list_every_claimant_without_reading_claims(
    client: Any,
    store: Path,
    claim_reads: list[Path],  # noqa: F811
) -> None:
    claimant = _fill(store)
    client.get("/claims")
    claim_reads.clear()
    html = page(client.get("/matrix"))
    choices = [o.text() for o in html.by_id("f-claimant").find_all("option")]
    assert claimant in choices and CLAIMANT in choices
    assert not [p for p in claim_reads if p.name.startswith("filler-claim-")]


def test_beyond_max_drawn_the_page_asks_for_a_filter_and_the_files_refuse(
    client: Any,
    store: Path,
    run: Callable[..., Any],
    claim_reads: list[Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    workdir: Path,
) -> None:
    from annotate.formats import pictures

    _fill(store)
    total = len(list(store.glob("*.json")))
    aliyev = len(client.get(f"/timeline.json?claimant={CLAIMANT}").get_json()["claims"])
    assert 0 < aliyev < total
    monkeypatch.setattr(pictures, "MAX_DRAWN", aliyev)
    client.get("/claims")
    claim_reads.clear()

    resp = client.get("/timeline")
    assert resp.status_code == 200
    html = page(resp)
    message = html.one("div", data_too_many=True)
    said = " ".join(message.text().split())
    assert f"{total} claims match these filters: too many to draw" in said
    assert f"draws at most {aliyev} claims" in said
    assert "Choose a question, a claimant or a verdict" in said
    assert not html.find_all("svg") and not html.find_all("table")
    assert not html.find_all("p", class_="downloads")
    assert html.by_id("f-claimant").find_all("option")  # the way out stays
    assert not [p for p in claim_reads if p.name.startswith("filler-claim-")]
    assert len(claim_reads) <= len(client.get("/api/questions").get_json()), "claims drawn"

    narrowed = page(client.get(f"/timeline?claimant={CLAIMANT}"))  # at the limit: drawn
    assert not narrowed.find_all(data_too_many=True) and narrowed.find_all("svg")
    rows = narrowed.find_all("tr", data_claim_row=True)
    undated = narrowed.find_all("li", data_claim=True)
    assert len(rows) + len(undated) == aliyev

    for path in ("/timeline.svg", "/timeline.png", "/timeline.json?verdict="):
        claim_reads.clear()
        refused = client.get(path)
        assert refused.status_code == 422, path
        body = refused.get_json()
        assert body["error"] == (
            f"{total} claims match these filters: the timeline draws at most {aliyev}; "
            "choose a question, a claimant or a verdict to narrow it"
        )
        assert body["claims"] == total and body["details"][0]["field"] == "filters"
        assert not claim_reads, f"{path}: nothing drawn, yet claims read"

    result = run("picture", "timeline", "-o", "t.svg")
    assert result.exit_code == 2
    assert f"{total} claims match these filters: the timeline draws at most {aliyev}" in (
        result.output
    )
    assert not (workdir / "t.svg").exists()
    result = run("picture", "timeline", "--claimant", CLAIMANT, "-o", "t.svg")
    assert result.exit_code == 0, result.output


def test_blind_review_chooses_from_what_the_reader_may_see(
    alice: Any,  # noqa: F811
    adam: Any,  # noqa: F811
) -> None:
    """A reviewer blind to the verdicts finds no claim by a verdict she may not see, and the
    questions and counts she is shown are hers too."""
    assert adam.get("/timeline.json?verdict=denied").get_json()["claims"]
    assert alice.get("/timeline.json?verdict=denied").get_json()["claims"] == []
    hidden = alice.get("/matrix.json").get_json()
    assert hidden["claims"] and {c["verdict"] for c in hidden["claims"]} == {"unreviewed"}
    text = alice.get("/matrix?verdict=unreviewed").get_data(as_text=True)
    assert "v-denied" not in text and "v-confirmed" not in text
