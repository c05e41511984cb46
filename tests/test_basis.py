"""Disputed, and why (DESIGN.md): the `basis` of a disputed verdict, `contested` (the default,
a supporting and a refuting source) or `unsubstantiated` (any one source), through the API,
reviews, pages, `annotate check` and every export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from annotate.record.reviews import ReviewRules
from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, DOC_BBC, quote
from .webutil import page

Run = Callable[..., Result]
SARGSYAN = "Former Armenian President Serzh Sargsyan has admitted"


def _claim(client: Any, ws: Workspace, claim_id: str = "sargsyan-admitted") -> dict[str, Any]:
    resp = client.post(
        "/api/claims",
        json={
            "id": claim_id,
            "statement": "Armenia fired an Iskander at Shusha.",
            "claimant": "Serzh Sargsyan",
            "appearances": [quote(ws, DOC_AZERNEWS, SARGSYAN)],
        },
    )
    assert resp.status_code == 201
    return resp.get_json()


def _put(client: Any, claim: dict[str, Any], body: dict[str, Any], what: str = "verdict") -> Any:
    return client.put(
        f"/api/claims/{claim['id']}/{what}",
        json=body,
        headers={"If-Match": f'"{claim["version"]}"'},
    )


def _support(ws: Workspace) -> list[dict[str, Any]]:
    return [{"stance": "supports", "quote": quote(ws, DOC_BBC, "Serzh Sargsyan")}]


def test_unsubstantiated_takes_any_one_source_contested_needs_both(
    empty_store: Path, ws: Workspace, client: Any
) -> None:
    claim = _claim(client, ws)
    body = {"verdict": "disputed", "rationale": "One report.", "sources": _support(ws)}
    refused = _put(client, claim, body)
    assert refused.status_code == 422
    assert refused.get_json()["details"][0]["field"] == "sources"
    contested = _put(client, claim, body | {"basis": "contested"})
    assert contested.status_code == 422
    saved = _put(
        client,
        claim,
        body
        | {
            "basis": "unsubstantiated",
            "rationale": "Only his word; a launch record or debris analysis would settle it.",
        },
    )
    assert saved.status_code == 200, saved.get_json()
    got = client.get(f"/api/claims/{claim['id']}").get_json()
    assert (got["verdict"], got["basis"]) == ("disputed", "unsubstantiated")
    stored = json.loads((empty_store / "fixtures" / f"{claim['id']}.json").read_text())
    assert stored["basis"] == "unsubstantiated"


def test_a_basis_goes_with_disputed_only(empty_store: Path, ws: Workspace, client: Any) -> None:
    claim = _claim(client, ws)
    body = {"verdict": "confirmed", "rationale": "r", "sources": _support(ws)}
    resp = _put(client, claim, body | {"basis": "unsubstantiated"})
    assert resp.status_code == 422
    assert resp.get_json()["details"][0]["field"] == "basis"
    bad = _put(client, claim, body | {"verdict": "disputed", "basis": "unclear"})
    assert bad.status_code == 422
    assert bad.get_json()["details"][0]["field"] == "basis"
    assert _put(client, claim, body).get_json()["verdict"] == "confirmed"
    assert "basis" not in client.get(f"/api/claims/{claim['id']}").get_json()


def test_the_exports_carry_the_basis(
    empty_store: Path, ws: Workspace, client: Any, run: Run, tmp_path: Path
) -> None:
    one = _claim(client, ws, "one-report")
    both = _claim(client, ws, "both-ways")
    _put(
        client,
        one,
        {
            "verdict": "disputed",
            "basis": "unsubstantiated",
            "rationale": "One report.",
            "sources": _support(ws),
        },
    )
    refute = {"stance": "refutes", "quote": quote(ws, DOC_BBC, "Iskander")}
    resp = _put(
        client,
        both,
        {"verdict": "disputed", "rationale": "Both.", "sources": [*_support(ws), refute]},
    )
    assert resp.status_code == 200

    published = ("--base-url", "https://factcheck.example.org")
    reviews = json.loads(run("export", "--format", "claimreview", *published).output)
    rating = {r["url"].rsplit("/", 1)[-1]: r["reviewRating"] for r in reviews}
    assert {k: (v["alternateName"], v["ratingValue"]) for k, v in rating.items()} == {
        "one-report": ("Unproven", 2),
        "both-ways": ("Disputed", 2),
    }
    native = json.loads(run("export", "--format", "json").output)
    assert {c["id"]: c.get("basis") for c in native["claims"]} == {
        "one-report": "unsubstantiated",
        "both-ways": None,
    }
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").output)))
    assert {r["id"]: r["basis"] for r in rows} == {
        "one-report": "unsubstantiated",
        "both-ways": "contested",
    }
    w3c = json.loads(run("export", "--format", "w3c").output)
    classifying = {
        a["id"].rsplit("/", 1)[-1]: next(b for b in a["body"] if b.get("purpose") == "classifying")
        for a in w3c["first"]["items"]
    }
    assert classifying["one-report"]["basis"] == "unsubstantiated"
    assert "basis" not in classifying["both-ways"]
    # ... and an import of the W3C export reads it back.
    path = tmp_path / "w3c.json"
    path.write_text(json.dumps(w3c), encoding="utf-8")
    other = tmp_path / "other"
    other.mkdir()
    result = run("import", "--store", str(other), "--format", "w3c", str(path))
    assert result.exit_code == 0, result.output
    back = json.loads((other / "one-report.json").read_text())
    assert (back["verdict"], back["basis"]) == ("disputed", "unsubstantiated")
    assert "basis" not in json.loads((other / "both-ways.json").read_text())


def test_reviews_carry_a_basis_and_agree_on_the_verdict(empty_store: Path, ws: Workspace) -> None:
    desk = Workspace(ws.corpus, ws.store, ReviewRules(required=2))
    support = _support(ws)
    refute = [{"stance": "refutes", "quote": quote(ws, DOC_BBC, "Iskander")}]
    c = desk.create_claim(
        {
            "id": "two-reviews",
            "statement": "Armenia fired an Iskander at Shusha.",
            "claimant": "Serzh Sargsyan",
            "appearances": [quote(ws, DOC_AZERNEWS, SARGSYAN)],
        },
        "alice",
    )
    body = {"verdict": "disputed", "rationale": "One report.", "sources": support}
    c = desk.set_review(c.id, c.version, body | {"basis": "unsubstantiated"}, "a")
    assert c.reviews["a"].basis == "unsubstantiated" and c.verdict is None
    c = desk.set_review(c.id, c.version, body | {"basis": "unsubstantiated"}, "b")
    assert (c.verdict, c.basis, c.settled) == ("disputed", "unsubstantiated", "agreed")
    # A reviewer who finds evidence against it: still disputed, so the verdicts agree; the
    # final basis is contested, the evidence both ways is on the record.
    c = desk.set_review(
        c.id, c.version, {**body, "sources": support + refute, "basis": "contested"}, "b"
    )
    assert c.reopened is None and c.review_status == "agreed"
    d = desk.create_claim(
        {
            "id": "mixed-bases",
            "statement": "Armenia fired an Iskander at Shusha, they say.",
            "claimant": "Serzh Sargsyan",
            "appearances": [quote(ws, DOC_AZERNEWS, SARGSYAN)],
        },
        "alice",
    )
    d = desk.set_review(d.id, d.version, body | {"basis": "unsubstantiated"}, "a")
    d = desk.set_review(d.id, d.version, {**body, "sources": support + refute}, "b")
    assert (d.verdict, d.basis, d.settled) == ("disputed", None, "agreed")


def test_the_pages_show_and_choose_the_basis(empty_store: Path, ws: Workspace, client: Any) -> None:
    claim = _claim(client, ws)
    resp = _put(client, claim, {"verdict": "confirmed", "rationale": "r", "sources": _support(ws)})
    assert resp.status_code == 200, resp.get_json()
    url = f"/documents/{DOC_AZERNEWS}?claim={claim['id']}"
    doc = page(client.get(url))
    form = doc.find("form", **{"data-form": "verdict"})
    assert {i.get("value") for i in form.find_all("input", name="basis")} == {
        "contested",
        "unsubstantiated",
    }
    token = form.one("input", name="csrf_token").get("value")
    saved = client.post(
        f"/claims/{claim['id']}/verdict",
        data={
            "csrf_token": token,
            "version": "2",
            "doc_context": DOC_AZERNEWS,
            "verdict": "disputed",
            "basis": "unsubstantiated",
            "rationale": "Only his word.",
        },
    )
    assert saved.status_code in (200, 303), saved.data[:500]
    got = client.get(f"/api/claims/{claim['id']}").get_json()
    assert (got["verdict"], got["basis"]) == ("disputed", "unsubstantiated")
    shown = page(client.get(url)).find("span", **{"data-basis": "unsubstantiated"})
    assert shown is not None and shown.text().strip() == "unsubstantiated"
