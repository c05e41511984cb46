"""The editorial checks of `annotate check` (docs/checks.md): warnings with stable codes that
`--strict` turns into failures, in every output format; and a verdict whose evidence changed
reopened until someone confirms it (API, CLI)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from annotate.record.reviews import ReviewRules
from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, DOC_BBC, quote
from .webutil import page

Run = Callable[..., Result]

VIDEO = "a video emerged on social networks showing Armenian soldiers in front of a launcher"
FIRED = "from which two missiles were fired with a difference of 41 seconds"
SARGSYAN = "Former Armenian President Serzh Sargsyan has admitted"
ARMNEWS = {
    "stance": "supports",
    "url": "https://example.org/armnews",
    "title": "Armnews interview",
    "publisher": "Armnews",
    "date": "2021-02-17",
}


def report(run: Run, *args: str) -> tuple[int, dict[str, Any]]:
    result = run("check", "--format", "json", *args)
    return result.exit_code, json.loads(result.output)


def codes(found: dict[str, Any], claim: str | None = None) -> Counter[str]:
    return Counter(
        p["kind"]
        for p in found["problems"]
        if p["severity"] == "warning" and (claim is None or p["claim"] == claim)
    )


def make(
    client: Any,
    ws: Workspace,
    claim_id: str,
    claimant: str,
    appearance: dict[str, object],
    **extra: Any,
) -> dict[str, Any]:
    resp = client.post(
        "/api/claims",
        json={"id": claim_id, "statement": f"Statement {claim_id}", "claimant": claimant}
        | {"appearances": [appearance]}
        | extra,
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def verdict(client: Any, claim: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.put(
        f"/api/claims/{claim['id']}/verdict",
        json=body,
        headers={"If-Match": f'"{claim["version"]}"'},
    )


def test_the_shipped_store_passes_strict_since_its_second_review(run: Run) -> None:
    code, found = report(run)
    assert code == 0 and found["ok"] and found["errors"] == 0
    # Issue 17's examples (nine self-citations, the BBC names) were fixed by the second
    # review: no warning is left, and --strict passes.
    assert found["warnings"] == 0 and found["problems"] == []
    strict_code, strict_found = report(run, "--strict")
    assert strict_code == 0 and strict_found["ok"] and strict_found["strict"]
    assert run("check", "--strict").exit_code == 0


def test_each_per_claim_check_is_a_warning_with_its_code(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> None:
    own = make(client, ws, "video-41-seconds", "Local journalists", quote(ws, DOC_BBC, VIDEO))
    resp = verdict(
        client,
        own,
        {
            "verdict": "confirmed",
            "rationale": "The article says so.",
            "sources": [
                # overlaps the appearance: the claim cited as its own evidence
                {"stance": "supports", "quote": quote(ws, DOC_BBC, "showing Armenian soldiers")},
                # same paragraph, same document: the claimant's own report again
                {"stance": "supports", "quote": quote(ws, DOC_BBC, FIRED)},
                {"stance": "context", "url": "https://example.org/video", "title": "The video"},
            ],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    late = make(
        client, ws, "dated-too-late", "Serzh Sargsyan", quote(ws, DOC_AZERNEWS, SARGSYAN)
    ) | {"claim_date": None}
    resp = client.patch(
        "/api/claims/dated-too-late", json={"claim_date": "2021-03-01"}, headers={"If-Match": '"1"'}
    )
    assert resp.status_code == 200
    code, found = report(run)
    assert code == 0 and found["ok"] and found["errors"] == 0, found
    assert codes(found, own["id"]) == Counter(
        {
            "self-citation": 1,
            "single-document-support": 1,
            "claimant-only-support": 1,
            "url-source-no-publisher": 1,
            "url-source-undated": 1,
        }
    )
    by_code = {p["kind"]: p for p in found["problems"] if p["claim"] == own["id"]}
    assert by_code["self-citation"]["field"] == "sources[0].quote"
    assert by_code["url-source-undated"]["field"] == "sources[2]"
    assert codes(found, late["id"]) == Counter({"dated-after-publication": 1})
    assert "2021-02-18" in next(p["message"] for p in found["problems"] if p["claim"] == late["id"])

    # --strict fails on them, in every format; github says ::warning, not ::error.
    assert report(run, "--strict")[0] == 1
    assert not report(run, "--strict")[1]["ok"]
    github = run("check", "--format", "github")
    assert github.exit_code == 0
    assert github.output.count("::warning ") == found["warnings"]
    assert "::error " not in github.output
    assert "title=annotate check%3A self-citation" in github.output
    assert run("check", "--format", "github", "--strict").exit_code == 1
    text = run("check")
    assert text.exit_code == 0
    assert "warning: fixtures/video-41-seconds.json: claim video-41-seconds: sources[0].quote" in (
        text.output
    )
    assert text.output.splitlines()[-1].startswith("ok: 2 claims checked, no errors; 6 warning")


def test_support_from_another_document_passes_the_support_checks(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> None:
    claim = make(
        client, ws, "sargsyan-said-so", "Serzh Sargsyan", quote(ws, DOC_AZERNEWS, SARGSYAN)
    )
    resp = verdict(
        client,
        claim,
        {
            "verdict": "confirmed",
            "rationale": "Reported by two outlets.",
            "sources": [
                {"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")},
                {
                    "stance": "supports",
                    "url": "https://example.org/armnews",
                    "title": "Armnews interview",
                    "publisher": "Armnews",
                    "date": "2021-02-17",
                },
            ],
        },
    )
    assert resp.status_code == 200
    code, found = report(run)
    assert (code, found["problems"]) == (0, [])
    assert run("check", "--strict").output == "ok: 1 claims checked, no problems\n"


@pytest.mark.parametrize(
    ("names", "pairs"),
    [
        (["BBC News", "BBC News Україна"], 1),
        (["Grigor Ataneysan", "Grigor Atanesyan"], 1),
        (["Serzh Sargsyan", "serzh sargsyan"], 1),
        (["UN", "UNDP"], 0),  # short names are never compared
        (["Ministry of Defence of Russia", "Ministry of Defence of Armenia"], 0),
        (["Ilham Aliyev", "Nikol Pashinyan"], 0),
    ],
)
def test_similar_claimants_across_the_store(
    empty_store: Path, ws: Workspace, client: Any, run: Run, names: list[str], pairs: int
) -> None:
    for i, name in enumerate(names):
        make(client, ws, f"claim-{i}", name, quote(ws, DOC_AZERNEWS, SARGSYAN, 0))
    code, found = report(run)
    assert code == 0
    similar = [p for p in found["problems"] if p["kind"] == "similar-claimants"]
    assert len(similar) == pairs, similar
    for p in similar:
        assert p["severity"] == "warning" and p["field"] == "claimant"


def test_in_review_and_disagreement(empty_store: Path, ws: Workspace, run: Run) -> None:
    (empty_store / "annotate.toml").write_text("[reviews]\nrequired = 2\n", encoding="utf-8")
    desk = Workspace(ws.corpus, ws.store, ReviewRules(required=2))
    support = {"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")}
    refute = {"stance": "refutes", "quote": quote(ws, DOC_BBC, "Iskander")}
    for claim_id in ("one-review", "two-differ"):
        c = desk.create_claim(
            {
                "id": claim_id,
                "statement": "Armenia used the Iskander.",
                "claimant": "Serzh Sargsyan",
                "appearances": [quote(ws, DOC_AZERNEWS, SARGSYAN)],
            },
            "alice",
        )
        c = desk.set_review(
            c.id, c.version, {"verdict": "confirmed", "rationale": "r", "sources": [support]}, "a"
        )
    desk.set_review(
        "two-differ", 2, {"verdict": "denied", "rationale": "r", "sources": [refute]}, "b"
    )
    _, found = report(run)
    assert codes(found, "one-review")["in-review"] == 1
    assert codes(found, "two-differ")["disagreement"] == 1
    assert "a confirmed, b denied" in next(
        p["message"] for p in found["problems"] if p["kind"] == "disagreement"
    )


def test_existing_problems_stay_errors(workdir: Path, ws: Workspace, run: Run) -> None:
    claim = ws.store.claims()[0]
    seed = workdir / "seeds" / f"{claim.appearances[0].doc}.txt"
    seed.write_text("", encoding="utf-8")
    code, found = report(run)
    assert code == 1 and not found["ok"] and found["errors"] > 0
    assert {p["severity"] for p in found["problems"] if p["kind"] == "out-of-range"} == {"error"}
    assert "::error " in run("check", "--format", "github").output


# -- evidence changed: reopened until confirmed -------------------------------------------


def _cite_and_edit(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> tuple[dict[str, Any], Path]:
    claim = make(client, ws, "iskander-used", "Serzh Sargsyan", quote(ws, DOC_AZERNEWS, SARGSYAN))
    resp = verdict(
        client,
        claim,
        {
            "verdict": "confirmed",
            "rationale": "He says so.",
            "sources": [
                {"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")},
                ARMNEWS,
            ],
        },
    )
    assert resp.status_code == 200
    claim = resp.get_json()
    seed = empty_store / "seeds" / f"{DOC_BBC}.txt"
    seed.write_text("A new first line.\n" + seed.read_text(encoding="utf-8"), encoding="utf-8")
    return claim, seed


def test_a_cited_quote_that_moves_reopens_the_verdict_until_confirmed(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> None:
    claim, _ = _cite_and_edit(empty_store, ws, client, run)
    assert run("reanchor").exit_code == 0
    now = client.get(f"/api/claims/{claim['id']}").get_json()
    assert now["verdict"] == "confirmed"  # the verdict stands, reopened
    assert now["review_status"] == "disagreement"
    assert now["reopened"].startswith("evidence changed after the verdict: sources[0].quote")
    history = client.get(f"/api/claims/{claim['id']}/history").get_json()
    assert history[-1]["action"] == "reanchored" and "reopened" in history[-1]["changes"]
    _, found = report(run)
    assert codes(found, claim["id"]) == Counter({"evidence-changed": 1})
    assert report(run, "--strict")[0] == 1
    queue = client.get("/api/queue?status=disagreement").get_json()
    assert [c["id"] for c in queue] == [claim["id"]]

    resp = client.post(
        f"/api/claims/{claim['id']}/verdict/confirm",
        json={"note": "the passage is the same, one line lower"},
        headers={"If-Match": f'"{now["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    done = resp.get_json()
    assert "reopened" not in done and done["review_status"] == "decided"
    assert done["reviewed_at"] >= now["reviewed_at"]
    history = client.get(f"/api/claims/{claim['id']}/history").get_json()
    assert history[-1]["action"] == "confirmed"
    assert "one line lower" in history[-1]["note"]
    assert run("check", "--strict").exit_code == 0

    again = client.post(
        f"/api/claims/{claim['id']}/verdict/confirm",
        json={},
        headers={"If-Match": f'"{done["version"]}"'},
    )
    assert again.status_code == 422
    assert "nothing to confirm" in again.get_json()["error"]


def test_an_appearance_that_moves_reopens_nothing(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> None:
    claim = make(
        client, ws, "iskander-used", "Serzh Sargsyan", quote(ws, DOC_BBC, "Serzh Sargsyan")
    )
    resp = verdict(
        client,
        claim,
        {
            "verdict": "confirmed",
            "rationale": "He says so.",
            "sources": [{"stance": "supports", "quote": quote(ws, DOC_AZERNEWS, SARGSYAN)}],
        },
    )
    assert resp.status_code == 200
    seed = empty_store / "seeds" / f"{DOC_BBC}.txt"
    seed.write_text("A new first line.\n" + seed.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("reanchor").exit_code == 0
    now = client.get(f"/api/claims/{claim['id']}").get_json()
    assert now["review_status"] == "decided" and "reopened" not in now
    assert "evidence-changed" not in codes(report(run)[1])


def test_replacing_the_text_of_a_cited_document_reopens_and_saving_the_verdict_again_settles(
    empty_store: Path, ws: Workspace, client: Any, run: Run, tmp_path: Path
) -> None:
    claim = make(client, ws, "iskander-used", "Serzh Sargsyan", quote(ws, DOC_AZERNEWS, SARGSYAN))
    body = {
        "verdict": "confirmed",
        "rationale": "He says so.",
        "sources": [{"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")}, ARMNEWS],
    }
    claim = verdict(client, claim, body).get_json()
    seed = empty_store / "seeds" / f"{DOC_BBC}.txt"
    new = tmp_path / "new.txt"
    # The end of the text changes; the cited quote stays where it is, context and all.
    new.write_text(seed.read_text(encoding="utf-8") + "\n\nA correction.\n", encoding="utf-8")
    result = run("doc", "replace", DOC_BBC, str(new), "--yes")
    assert result.exit_code == 0, result.output
    now = client.get(f"/api/claims/{claim['id']}").get_json()
    assert now["review_status"] == "disagreement"
    assert f"the text of {DOC_BBC}" in now["reopened"]
    assert codes(report(run)[1]) == Counter({"evidence-changed": 1})
    # Saving the verdict again is the other way to settle it.
    body["sources"] = [
        {"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")},
        ARMNEWS,
    ]
    again = verdict(client, now, body)
    assert again.status_code == 200
    assert again.get_json()["review_status"] == "decided"
    assert run("check", "--strict").exit_code == 0


def test_the_panel_shows_a_reopened_verdict_and_confirms_it(
    empty_store: Path, ws: Workspace, client: Any, run: Run
) -> None:
    claim, _ = _cite_and_edit(empty_store, ws, client, run)
    assert run("reanchor").exit_code == 0
    url = f"/documents/{DOC_AZERNEWS}?claim={claim['id']}"
    panel = page(client.get(url))
    assert "evidence changed after the verdict" in panel.one(**{"data-reopened": "true"}).text()
    form = panel.one("form", **{"data-form": "confirm"})
    fields = {i.get("name"): i.get("value") for i in form.find_all("input") if i.get("name")}
    fields["note"] = "same passage"
    resp = client.post(str(form.get("action")), data=fields)
    assert resp.status_code in (200, 303)
    now = client.get(f"/api/claims/{claim['id']}").get_json()
    assert "reopened" not in now and now["review_status"] == "decided"
    after = page(client.get(url))
    assert after.find(**{"data-reopened": "true"}) is None
    assert after.find("form", **{"data-form": "confirm"}) is None


def test_a_reviews_flaw_is_checked_until_a_final_verdict_stands(
    empty_store: Path, run: Run
) -> None:
    """While reviewers disagree, a review that cites the claim as its own evidence is flagged;
    once an adjudicator's final verdict stands (without it), the review is history."""
    from .webutil import make_app

    client = make_app(empty_store, REQUIRED_REVIEWS=2).test_client()
    ws = Workspace.open(empty_store / "seeds", empty_store / "fixtures")
    claim = make(client, ws, "two-missiles", "Armenian video", quote(ws, DOC_BBC, VIDEO))
    own = {"stance": "supports", "quote": quote(ws, DOC_BBC, "showing Armenian soldiers")}
    elsewhere = {"stance": "supports", "quote": quote(ws, DOC_AZERNEWS, SARGSYAN)}
    resp = client.put(
        "/api/claims/two-missiles/review",
        json={"verdict": "confirmed", "rationale": "Seen.", "sources": [own]},
        headers={"If-Match": '"1"'},
    )
    assert resp.status_code == 200, resp.get_json()
    flagged = codes(report(run)[1], claim["id"])
    assert flagged["self-citation"] == 1
    final = {
        "verdict": "disputed",
        "basis": "unsubstantiated",
        "rationale": "One report; the launch site would settle it.",
        "sources": [elsewhere],
    }
    resp = client.put("/api/claims/two-missiles/verdict", json=final, headers={"If-Match": '"2"'})
    assert resp.status_code == 200, resp.get_json()
    assert codes(report(run)[1], claim["id"])["self-citation"] == 0
