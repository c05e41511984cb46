"""The document page's kept views (web/docview.py): the marked text, the claims list and the
counts are made once and served again while nothing they are made from changes, and every
change shows on the next page at once: a save here or by another process, a new or deleted
claim, an edited or replaced text; blind review stays blind (no reviewer is served a view
made for another's lens)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from annotate.record.service import Workspace
from annotate.web.docview import ViewCache
from bench.writers import verdict_body

from .conftest import DOC_BBC
from .test_reviews import (  # noqa: F401 - desk and reviewers_template are fixtures
    REFUTE,
    client_of,
    desk,
    new_claim,
    review,
    reviewers_template,
)
from .webutil import make_app, parse

HX = {"HX-Request": "true"}


def verdicts(html: str, cid: str) -> set[str | None]:
    """The verdicts the marks of claim `cid` show in a page or fragment."""
    return {m.get("data-verdict") for m in parse(html).find_all("mark", data_claim=cid)}


def listed_status(html: str, cid: str) -> str:
    """The badge of claim `cid` in the list "Claims in this document"."""
    link = parse(html).one("a", data_claim_link=cid)
    badge: str = link.find_all("span")[1].text()
    return badge


def made(app: Any) -> int:
    views: ViewCache = app.extensions["annotate_document_views"]
    return views.made


def put_verdict(client: Any, claim: dict[str, Any], why: str) -> dict[str, Any]:
    resp = client.put(
        f"/api/claims/{claim['id']}/verdict",
        json=verdict_body(claim, why),
        headers={"If-Match": f'"{claim["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def new(client: Any, workdir: Path) -> dict[str, Any]:
    return new_claim(client, workdir)


def test_the_page_is_made_once_and_served_again_while_nothing_changes(workdir: Path) -> None:
    app = make_app(workdir)
    client = app.test_client()
    first = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert made(app) == 1
    assert client.get(f"/documents/{DOC_BBC}").get_data(as_text=True) == first
    text = client.get(f"/documents/{DOC_BBC}/text", headers=HX).get_data(as_text=True)
    claims = client.get(f"/documents/{DOC_BBC}/claims", headers=HX).get_data(as_text=True)
    assert made(app) == 1  # the fragments are the same view
    assert text.split(">", 1)[1].split("</div>", 1)[0] in first
    assert claims.strip() in first


def test_a_save_through_the_api_shows_on_the_next_page(workdir: Path) -> None:
    app = make_app(workdir)
    client = app.test_client()
    claim = new(client, workdir)
    cid = claim["id"]
    before = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert verdicts(before, cid) == {"unreviewed"}
    assert listed_status(before, cid) == "unreviewed"
    put_verdict(client, claim, "Seen at the site.")
    after = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert verdicts(after, cid) == {"confirmed"}
    assert listed_status(after, cid) == "confirmed"
    legend = parse(after).one("ul", id="doc-legend")
    counts = {
        li.one("mark").get("data-verdict"): li.one("span", class_="count").text()
        for li in legend.find_all("li")
    }
    confirmed_before = parse(before).one("ul", id="doc-legend").find_all("li")[0]
    assert confirmed_before.one("mark").get("data-verdict") == "confirmed"
    assert int(counts["confirmed"]) == int(confirmed_before.one("span", class_="count").text()) + 1
    fragment = client.get(f"/documents/{DOC_BBC}/text", headers=HX).get_data(as_text=True)
    assert verdicts(fragment, cid) == {"confirmed"}
    listed = client.get(f"/documents/{DOC_BBC}/claims", headers=HX).get_data(as_text=True)
    assert listed_status(listed, cid) == "confirmed"


def test_a_save_by_another_process_shows_on_the_next_page(workdir: Path) -> None:
    app = make_app(workdir)
    client = app.test_client()
    claim = new(client, workdir)
    cid = claim["id"]
    assert verdicts(client.get(f"/documents/{DOC_BBC}").get_data(as_text=True), cid) == {
        "unreviewed"
    }
    other = Workspace.open(workdir / "seeds", workdir / "fixtures", fsync=False)
    other.set_verdict(cid, claim["version"], verdict_body(claim, "From the other desk."), "other")
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert verdicts(html, cid) == {"confirmed"}
    assert listed_status(html, cid) == "confirmed"
    # And a claim deleted there is gone from the page here.
    other.delete_claim(cid, claim["version"] + 1, "other")
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert verdicts(html, cid) == set()
    assert parse(html).find("a", data_claim_link=cid) is None


def test_a_new_claim_shows_on_the_next_page(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    client.get(f"/documents/{DOC_BBC}")
    cid = new(client, workdir)["id"]
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert verdicts(html, cid) == {"unreviewed"}


def test_a_text_edited_on_disk_or_replaced_shows_on_the_next_page(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    client.get(f"/documents/{DOC_BBC}")
    seed = workdir / "seeds" / f"{DOC_BBC}.txt"
    note = "Editor's note: corrected on 5 April.\n\n"
    seed.write_text(note + seed.read_text("utf-8"), "utf-8")
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    shown = parse(html).one("div", id="doc-text").text()
    assert shown.startswith(note)
    assert "drifted" in html  # its marks are where their quotes are now
    # Re-anchored by another process: the marks are no longer drifted.
    other = Workspace.open(workdir / "seeds", workdir / "fixtures", fsync=False)
    text = other.corpus.get(DOC_BBC).text
    other.replace_text(DOC_BBC, text.replace(note, ""), other.corpus.get(DOC_BBC).sha256, "ed")
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert not parse(html).one("div", id="doc-text").text().startswith(note)
    assert " drifted" not in html


def test_blind_review_stays_blind_with_kept_views(
    desk: Any,  # noqa: F811 - the fixture imported above
    workdir: Path,
) -> None:
    alice, bob, adam = (client_of(desk, n) for n in ("alice", "bob", "adam"))
    cid = new_claim(alice, workdir)["id"]
    assert review(alice, cid, 1, "denied", [REFUTE], "Nobody else saw it.").status_code == 200
    final = {"verdict": "denied", "rationale": "Decided.", "sources": [REFUTE]}
    decided = adam.put(f"/api/claims/{cid}/verdict", json=final, headers={"If-Match": '"2"'})
    assert decided.status_code == 200, decided.get_json()
    url = f"/documents/{DOC_BBC}"
    # The adjudicator's view first, then the blind reviewer's, then again: each their own.
    assert verdicts(adam.get(url).get_data(as_text=True), cid) == {"denied"}
    blind = bob.get(url).get_data(as_text=True)
    assert verdicts(blind, cid) == {"unreviewed"}
    assert listed_status(blind, cid) == "unreviewed"
    assert verdicts(bob.get(f"{url}/text", headers=HX).get_data(as_text=True), cid) == {
        "unreviewed"
    }
    assert listed_status(bob.get(f"{url}/claims", headers=HX).get_data(as_text=True), cid) == (
        "unreviewed"
    )
    assert verdicts(alice.get(url).get_data(as_text=True), cid) == {"denied"}  # her review
    assert verdicts(adam.get(f"{url}/text", headers=HX).get_data(as_text=True), cid) == {"denied"}
    assert verdicts(bob.get(url).get_data(as_text=True), cid) == {"unreviewed"}
    # Once bob has reviewed it too, he sees the final verdict.
    assert review(bob, cid, 3, "denied", [REFUTE], "Nor did I.").status_code == 200
    assert verdicts(bob.get(url).get_data(as_text=True), cid) == {"denied"}


def test_the_kept_views_are_bounded() -> None:
    from markupsafe import Markup

    from annotate.web.docview import DocumentView

    def view(n: int) -> DocumentView:
        html = Markup("m" * n)
        return DocumentView("x", [], (), [], html, Markup(""), Counter(), 0, [])

    cache = ViewCache(views=2, max_bytes=1000)
    for i in range(3):
        cache.put((f"d{i}", None, ""), view(10))
    assert len(cache) == 2 and cache.get(("d0", None, "")) is None
    cache.put(("big", None, ""), view(995))  # the two make more than the bytes allowed
    assert len(cache) == 1 and cache.get(("big", None, "")) is not None
    cache.put(("huge", None, ""), view(2000))  # more than all of it: not kept at all
    assert len(cache) == 0
