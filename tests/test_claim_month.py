"""A claim made in a month whose day the sources do not give: `claim_month`, through the API,
the panel, the exports and the editorial check."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from .webutil import claim_rows, csrf, snapshot

CLAIM = "kremlin-iskanders-not-used"  # undated in the shipped record


def _patch(client: Any, body: dict[str, Any], claim_id: str = CLAIM) -> Any:
    version = client.get(f"/api/claims/{claim_id}").get_json()["version"]
    return client.patch(f"/api/claims/{claim_id}", json=body, headers={"If-Match": f'"{version}"'})


def test_a_month_is_kept_shown_and_exported(
    client: Any, store: Path, run: Callable[..., Result]
) -> None:
    resp = _patch(client, {"claim_month": "2021-04"})
    assert resp.status_code == 200, resp.get_json()
    assert json.loads((store / f"{CLAIM}.json").read_text())["claim_month"] == "2021-04"
    panel = client.get(f"/claims/{CLAIM}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'in <time datetime="2021-04">April 2021</time>' in panel
    assert 'name="claim_month" type="month"' in panel and 'value="2021-04"' in panel
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").stdout)))
    assert {r["id"]: r["claim_month"] for r in rows}[CLAIM] == "2021-04"
    annotations = json.loads(run("export", "--format", "w3c").stdout)
    (mine,) = [a for a in annotations["first"]["items"] if a["id"].endswith(f"/{CLAIM}")]
    assert mine["claimMonth"] == "2021-04"
    assert mine["@context"][1]["claimMonth"]["@type"] == "xsd:gYearMonth"


def test_a_date_and_a_month_together_or_a_bad_month_change_nothing(
    client: Any, store: Path
) -> None:
    before = snapshot(store)
    both = _patch(client, {"claim_month": "2021-04", "claim_date": "2021-04-03"})
    assert both.status_code == 422
    assert both.get_json()["details"][0] == {
        "field": "claim_month",
        "message": "a claim has a claim_date or a claim_month, not both: remove one",
    }
    for bad in ("2021-13", "2021-4", "April 2021", "2021-04-03"):
        resp = _patch(client, {"claim_month": bad})
        assert resp.status_code == 422, bad
        assert resp.get_json()["details"][0]["field"] == "claim_month"
    assert snapshot(store) == before


def test_the_panel_edit_form_sets_and_clears_the_month(client: Any, store: Path) -> None:
    token = csrf(client)
    claim = client.get(f"/api/claims/{CLAIM}").get_json()
    form = {
        "csrf_token": token,
        "version": str(claim["version"]),
        "statement": claim["statement"],
        "claimant": claim["claimant"],
        "claim_date": "",
        "claim_month": "2021-04",
    }
    assert client.post(f"/claims/{CLAIM}/edit", data=form).status_code == 303
    assert client.get(f"/api/claims/{CLAIM}").get_json()["claim_month"] == "2021-04"
    again = {**form, "version": str(claim["version"] + 1), "claim_month": ""}
    assert client.post(f"/claims/{CLAIM}/edit", data=again).status_code == 303
    assert "claim_month" not in client.get(f"/api/claims/{CLAIM}").get_json()


def test_a_month_after_the_article_that_reports_it_is_flagged(
    client: Any, run: Callable[..., Result]
) -> None:
    assert _patch(client, {"claim_month": "2021-05"}).status_code == 200  # 000: 4 April
    report = json.loads(run("check", "--format", "json").stdout)
    late = [
        p
        for p in report["problems"]
        if p["kind"] == "dated-after-publication" and p["claim"] == CLAIM
    ]
    assert late and late[0]["field"] == "claim_month"
    assert "claim_month 2021-05 is after" in late[0]["message"]


def test_giving_a_day_drops_the_month_and_giving_a_month_drops_the_day(client: Any) -> None:
    assert _patch(client, {"claim_month": "2021-04"}).status_code == 200
    day = _patch(client, {"claim_date": "2021-04-03"}).get_json()
    assert day["claim_date"] == "2021-04-03" and "claim_month" not in day
    month = _patch(client, {"claim_month": "2021-04"}).get_json()
    assert month["claim_month"] == "2021-04" and "claim_date" not in month
    history = client.get(f"/api/claims/{CLAIM}/history").get_json()
    assert history[-1]["changes"] == {
        "claim_date": ["2021-04-03", None],
        "claim_month": [None, "2021-04"],
    }


def test_the_claims_list_shows_a_month_and_sorts_it_before_the_days_of_that_month(
    client: Any,
) -> None:
    """The shipped record dates Aliyev's February denial by its month only: the claims
    list says "February 2021" and its date sort puts it before the claims of 18 February
    (it showed nothing and sorted with the undated ones: the index did not keep months)."""
    month_only = "aliyev-february-no-iskander-use-detected"
    html = client.get("/claims?sort=date").get_data(as_text=True)
    row = html[html.index(f'data-claim-row="{month_only}"') :]
    assert row[row.index('data-label="Date">') :].startswith('data-label="Date">February 2021<')
    order = claim_rows(client.get("/claims?sort=date"))
    assert order.index(month_only) < order.index("armenia-first-foreign-iskander-operator-2016")
    assert order.index(month_only) < order.index(CLAIM)  # before the undated
    # A month given through the API is in the list at once.
    assert _patch(client, {"claim_month": "2021-01"}).status_code == 200
    assert claim_rows(client.get("/claims?sort=date"))[0] == CLAIM
