"""The reviewer's pages and their htmx fragments, parsed with a real HTML parser."""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, DOC_BBC, DOC_IDS, quote
from .webutil import Node, csrf, make_app, page, parse, seed_text, snapshot

HX = {"HX-Request": "true"}
STATUSES = ["confirmed", "denied", "disputed", "unreviewed"]
EXISTING = "aliyev-called-putin-about-marking"
EXACT = "Two missiles fired on Shusha"
SUPPORT = "Former Armenian President Serzh Sargsyan has admitted"


@pytest.fixture
def token(client: Any) -> str:
    return csrf(client)


def on_disk(store: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(store.glob("*.json"))]


def by_place(claims: list[dict[str, Any]]) -> list[str]:
    """Claim ids in the order a reader meets them: by document (ids sorted), then where each
    claim first appears in it (the claims list's default order)."""
    docs = sorted(DOC_IDS)

    def first(c: dict[str, Any]) -> tuple[int, int, str]:
        where = min((docs.index(a["doc"]), a["start"]) for a in c["appearances"])
        return (*where, c["id"])

    return [c["id"] for c in sorted(claims, key=first)]


def stored(store: Path, cid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((store / f"{cid}.json").read_text(encoding="utf-8"))
    return data


def new_claim(client: Any, ws: Workspace, doc: str = DOC_BBC, exact: str = EXACT) -> str:
    """Create an unreviewed claim through the API; its id."""
    body = {"statement": f"Claim about {exact}", "claimant": "ANAMA"}
    body["appearances"] = [quote(ws, doc, exact)]  # type: ignore[list-item]
    resp = client.post("/api/claims", json=body)
    assert resp.status_code == 201
    return str(resp.get_json()["id"])


@pytest.fixture
def fresh(client: Any, ws: Workspace) -> str:
    return new_claim(client, ws)


def is_fragment(resp: Any) -> Node:
    html = resp.get_data(as_text=True)
    assert "<html" not in html and "<body" not in html and "<!doctype" not in html.lower()
    return parse(html)


def is_full_page(resp: Any) -> Node:
    root = page(resp)
    root.one("html")
    root.one("body")
    return root


def panel_of(root: Node) -> Node:
    return root.by_id("claim-panel")


def hidden(form: Node, name: str) -> str:
    return str(form.one("input", name=name).get("value"))


def panel_form(root: Node, endpoint: str) -> Node:
    """The form of the claim panel that posts to a path ending in `endpoint`."""
    forms = [f for f in root.find_all("form") if str(f.get("action", "")).endswith(endpoint)]
    assert len(forms) >= 1, endpoint
    return forms[0]


# -- index ---------------------------------------------------------------------------------


def test_the_index_has_one_row_per_document_with_counts_per_verdict(
    client: Any, workdir: Path, ws: Workspace
) -> None:
    new_claim(client, ws, DOC_AZERNEWS, SUPPORT)
    root = is_full_page(client.get("/"))
    table = root.one("table", class_="docs cards")
    rows = table.one("tbody").find_all("tr")
    assert len(rows) == 5
    claims = on_disk(workdir / "fixtures")
    for doc, row in zip(DOC_IDS, rows, strict=True):
        meta = json.loads((workdir / "seeds" / f"{doc}.json").read_text(encoding="utf-8"))
        link = row.find_all("a")[0]
        assert link.get("href") == f"/documents/{doc}"
        assert link.text() == meta["title"]
        mine = [c for c in claims if any(a["doc"] == doc for a in c["appearances"])]
        counts = Counter(c.get("verdict", "unreviewed") for c in mine)
        cells = [td.text().strip() for td in row.find_all("td")]
        assert cells[3:] == [str(counts[s]) for s in STATUSES] + [str(len(mine))]
    assert [c for c in rows[2].find_all("td")][6].text() == "1"


def test_the_index_shows_overall_progress(client: Any, ws: Workspace) -> None:
    new_claim(client, ws)
    root = is_full_page(client.get("/"))
    progress = root.one("progress")
    assert progress.get("value") == "73"
    assert progress.get("max") == "74"
    strong = [s.text() for s in root.one("section", class_="progress").find_all("strong")]
    assert strong == ["73", "74"]


def test_the_index_reports_a_broken_claim_file_and_serves_the_rest(
    client: Any, store: Path
) -> None:
    (store / "broken-claim.json").write_text("{", encoding="utf-8")
    resp = client.get("/")
    assert resp.status_code == 200
    root = page(resp)
    alert = root.one("section", role="alert")
    assert "broken-claim.json" in alert.text()
    assert root.one("progress").get("max") == "73"


def test_a_claim_file_whose_name_is_not_utf8_is_named_and_the_pages_still_serve(
    client: Any, store: Path, run: Any
) -> None:
    """A file copied from a system with another encoding: its name is shown with the bytes
    it cannot decode escaped (a page holding them as they are could not be sent: 500)."""
    with open(os.path.join(os.fsencode(store), b"caf\xe9-copied.json"), "wb") as f:
        f.write(b'{"id": "caf')
    for path in ("/", "/claims"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        alert = page(resp).one("section", role="alert")
        assert "caf\\xe9-copied.json" in alert.text(), path
    assert page(client.get("/")).one("progress").get("max") == "73"
    # The report of `annotate check --format json` is UTF-8 JSON naming the file the same way.
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout_bytes.decode("utf-8"))
    assert [p["file"].endswith("caf\\xe9-copied.json") for p in report["problems"]] == [True]


# -- document page -------------------------------------------------------------------------


def char_marks(container: Node) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each character of a container's text with the (claim, verdict) marks it is inside."""
    out: list[tuple[str, list[tuple[str, str]]]] = []

    def walk(node: Node, marks: list[tuple[str, str]]) -> None:
        for child in node.children:
            if isinstance(child, str):
                out.extend((ch, marks) for ch in child)
            elif child.tag == "mark":
                mark = (str(child.get("data-claim")), str(child.get("data-verdict")))
                walk(child, [*marks, mark])
            else:
                walk(child, marks)

    walk(container, [])
    return out


@pytest.mark.parametrize("doc", DOC_IDS)
def test_the_document_text_is_the_stored_text_with_every_appearance_marked(
    client: Any, workdir: Path, doc: str
) -> None:
    resp = client.get(f"/documents/{doc}")
    assert resp.status_code == 200
    root = is_full_page(resp)
    text_box = root.by_id("doc-text")
    text = seed_text(workdir, doc)
    assert text_box.text() == text
    chars = char_marks(text_box)
    claims = on_disk(workdir / "fixtures")
    expected: dict[int, set[tuple[str, str]]] = {i: set() for i in range(len(text))}
    for c in claims:
        for a in c["appearances"]:
            if a["doc"] == doc:
                for i in range(a["start"], a["end"]):
                    expected[i].add((c["id"], c.get("verdict", "unreviewed")))
    assert any(expected.values())
    for i, (_, marks) in enumerate(chars):
        assert set(marks) == expected[i], (doc, i, text[i])
    for mark in text_box.find_all("mark"):
        assert mark.get("data-verdict") in STATUSES


def test_a_claim_without_verdict_is_marked_unreviewed_with_its_index(
    client: Any, ws: Workspace, workdir: Path
) -> None:
    cid = new_claim(client, ws)
    root = page(client.get(f"/documents/{DOC_BBC}"))
    marks = root.by_id("doc-text").find_all("mark", data_claim=cid)
    assert marks
    assert {m.get("data-verdict") for m in marks} == {"unreviewed"}
    assert "".join(m.text() for m in marks) == EXACT
    first = root.by_id(f"a-{cid}-0")
    assert first.tag == "mark" and first.get("data-index") == "0"


def test_overlapping_claims_mark_the_shared_characters_for_both(
    client: Any, ws: Workspace, workdir: Path
) -> None:
    text = seed_text(workdir, DOC_BBC)
    outer = "Two missiles fired on Shusha"
    start = text.index(outer)
    a = client.post(
        "/api/claims",
        json={
            "statement": "First",
            "claimant": "x",
            "appearances": [
                {"doc": DOC_BBC, "start": start, "end": start + 12, "exact": outer[:12]}
            ],
        },
    ).get_json()["id"]
    b = client.post(
        "/api/claims",
        json={
            "statement": "Second",
            "claimant": "x",
            "appearances": [
                {"doc": DOC_BBC, "start": start + 4, "end": start + 21, "exact": outer[4:21]}
            ],
        },
    ).get_json()["id"]
    chars = char_marks(page(client.get(f"/documents/{DOC_BBC}")).by_id("doc-text"))
    for i in range(start, start + 21):
        ids = {m[0] for m in chars[i][1]}
        assert (a in ids) == (i < start + 12), i
        assert (b in ids) == (i >= start + 4), i
    assert {m[0] for m in chars[start + 8][1]} >= {a, b}


def test_awkward_characters_in_a_document_survive_the_page(client: Any, workdir: Path) -> None:
    text = "\nline one\r\nline two &amp; <b>bold</b>\t tab\r\rend  \u00a0\u2028x\n\n"
    (workdir / "seeds" / "zz_awkward.txt").write_bytes(text.encode("utf-8"))
    resp = client.get("/documents/zz_awkward")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "\r" not in html
    assert "&#13;" in html
    assert "<b>bold" not in html
    assert page(resp).by_id("doc-text").text() == text


def test_claim_query_opens_the_panel_inside_the_full_page(client: Any) -> None:
    root = is_full_page(client.get(f"/documents/{DOC_IDS[4]}?claim={EXISTING}"))
    panel = panel_of(root)
    assert panel.get("data-claim-id") == EXISTING
    assert panel.get("data-version") == str(on_disk_version(EXISTING))
    assert any(a is root.by_id("panel") for a in panel.ancestors())
    assert root.by_id("doc-text")


def on_disk_version(cid: str) -> int:
    root = Path(__file__).resolve().parent.parent / "fixtures"
    return int(json.loads((root / f"{cid}.json").read_text(encoding="utf-8"))["version"])


def test_a_document_page_lists_its_claims_in_the_order_of_the_text(
    client: Any, workdir: Path
) -> None:
    """By the start of each claim's first appearance in this document (it was by id)."""
    doc = DOC_IDS[1]
    here = [
        (min(a["start"] for a in c["appearances"] if a["doc"] == doc), c["id"])
        for c in on_disk(workdir / "fixtures")
        if any(a["doc"] == doc for a in c["appearances"])
    ]
    expected = [cid for _, cid in sorted(here)]
    assert expected != sorted(expected)  # the two orders differ on the shipped record
    root = page(client.get(f"/documents/{doc}"))
    links = root.one("nav", class_="claimlist").find_all("a", data_claim_link=True)
    assert [a.get("data-claim-link") for a in links] == expected
    # The same order as the highlights in the text (what j and k step through).
    marks = [m.get("data-claim") for m in root.by_id("doc-text").find_all("mark", id=True)]
    assert list(dict.fromkeys(marks)) == expected


def legend_counts(root: Node) -> dict[str, int]:
    legend = root.by_id("doc-legend")
    return {
        str(li.one("mark").get("data-verdict")): int(li.one("span", class_="count").text())
        for li in legend.find_all("li")
    }


def test_after_a_save_the_refreshed_text_brings_the_verdict_counts_out_of_band(
    client: Any, ws: Workspace
) -> None:
    """The counts of the document page stayed stale after a save until a reload: the text's
    refresh (on `claims-changed`) now carries them, swapped out of band."""
    before = legend_counts(page(client.get(f"/documents/{DOC_BBC}")))
    new_claim(client, ws)
    resp = client.get(f"/documents/{DOC_BBC}/text", headers=HX)
    root = is_fragment(resp)
    assert root.by_id("doc-legend").get("hx-swap-oob") == "true"
    after = legend_counts(root)
    assert after == {**before, "unreviewed": before["unreviewed"] + 1}
    # The quote picker's copy of the text has no counts to swap.
    picker = is_fragment(client.get(f"/documents/{DOC_BBC}/text?picker=1", headers=HX))
    assert picker.find(id="doc-legend") is None


def test_the_document_s_claim_list_refreshes_itself_after_a_save(
    client: Any, ws: Workspace
) -> None:
    root = page(client.get(f"/documents/{DOC_BBC}"))
    nav = root.by_id("doc-claims")
    assert nav.get("hx-trigger") == "claims-changed from:body"
    cid = new_claim(client, ws)
    fresh_list = is_fragment(client.get(str(nav.get("hx-get")), headers=HX))
    links = [a.get("data-claim-link") for a in fresh_list.find_all("a", data_claim_link=True)]
    assert cid in links
    assert fresh_list.by_id("doc-claims").get("hx-get") == nav.get("hx-get")


def test_an_unknown_document_is_a_404_page(client: Any) -> None:
    resp = client.get("/documents/no-such-doc")
    assert resp.status_code == 404
    root = is_full_page(resp)
    assert "404" in root.one("h1").text()
    resp = client.get("/documents/no-such-doc/text", headers=HX)
    assert resp.status_code == 404
    is_fragment(resp)


def test_an_unknown_claim_in_the_query_says_so(client: Any) -> None:
    resp = client.get(f"/documents/{DOC_BBC}?claim=gone-claim")
    assert resp.status_code == 200
    root = page(resp)
    assert root.find(id="claim-panel") is None
    assert "gone-claim" in root.by_id("panel").text()


# -- fragments -----------------------------------------------------------------------------


def test_a_claim_fragment_is_the_panel_alone_for_htmx(client: Any) -> None:
    resp = client.get(f"/claims/{EXISTING}", headers=HX)
    assert resp.status_code == 200
    root = is_fragment(resp)
    assert panel_of(root).get("data-claim-id") == EXISTING
    assert root.find(id="doc-text") is None


def test_a_claim_without_htmx_redirects_to_its_document_with_the_panel_open(
    client: Any, workdir: Path
) -> None:
    resp = client.get(f"/claims/{EXISTING}")
    assert resp.status_code in (302, 303)
    loc = urlsplit(resp.headers["Location"])
    doc = stored(workdir / "fixtures", EXISTING)["appearances"][0]["doc"]
    assert loc.path == f"/documents/{doc}"
    assert parse_qs(loc.query) == {"claim": [EXISTING]}
    followed = client.get(resp.headers["Location"])
    assert panel_of(page(followed)).get("data-claim-id") == EXISTING


def test_an_unknown_claim_fragment_is_404(client: Any) -> None:
    resp = client.get("/claims/no-such-claim", headers=HX)
    assert resp.status_code == 404
    root = is_fragment(resp)
    assert "no-such-claim" in root.text()
    assert client.get("/claims/no-such-claim").status_code == 404


def test_the_document_text_fragment_is_the_text_and_the_counts_out_of_band(
    client: Any, workdir: Path
) -> None:
    resp = client.get(f"/documents/{DOC_BBC}/text", headers=HX)
    assert resp.status_code == 200
    root = is_fragment(resp)
    top = [c for c in root.children if isinstance(c, Node)]
    assert [t.get("id") for t in top] == ["doc-text", "doc-legend"]
    assert top[1].get("hx-swap-oob") == "true"
    assert top[0].text() == seed_text(workdir, DOC_BBC)
    assert top[0].get("hx-trigger") == "claims-changed from:body"


# -- claims list ---------------------------------------------------------------------------


def rows(root: Node) -> list[str]:
    return [str(tr.get("data-claim-row")) for tr in root.find_all("tr", data_claim_row=True)]


def test_the_claims_page_lists_every_claim_in_the_order_of_the_documents(
    client: Any, store: Path
) -> None:
    """By default, by document and place in it (it was by id, which looks random)."""
    root = is_full_page(client.get("/claims"))
    expected = by_place(on_disk(store))
    assert expected != sorted(expected)
    assert rows(root) == expected
    assert root.by_id("claim-rows")
    assert "in the order they appear in the documents" in root.one("p", role="status").text()


def test_the_claims_page_sorts_by_update_newest_first_on_the_first_click(
    client: Any, ws: Workspace, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoever sorts by "Updated" wants the latest changes (it sorted oldest first)."""
    later = iter([datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)])
    monkeypatch.setattr("annotate.record.clock.now", lambda: next(later))
    older = new_claim(client, ws)
    newer = new_claim(client, ws, exact=SUPPORT, doc=DOC_AZERNEWS)
    root = page(client.get("/claims"))
    (link,) = [
        a for a in root.one("table", class_="claims cards").find_all("a") if "Updated" in a.text()
    ]
    assert "sort=-updated" in str(link.get("href"))
    newest = rows(page(client.get(str(link.get("href")))))
    assert newest[:2] == [newer, older]
    oldest = rows(page(client.get("/claims?sort=updated")))
    assert oldest[-2:] == [older, newer]


@pytest.mark.parametrize(
    ("args", "keep"),
    [
        ({"verdict": "denied"}, lambda c: c.get("verdict") == "denied"),
        ({"doc": DOC_AZERNEWS}, lambda c: any(a["doc"] == DOC_AZERNEWS for a in c["appearances"])),
        ({"claimant": "Serzh Sargsyan"}, lambda c: c["claimant"] == "Serzh Sargsyan"),
        (
            {"q": "9m723"},
            lambda c: (
                "9m723"
                in (
                    c["statement"]
                    + c.get("rationale", "")
                    + "".join(a["exact"] for a in c["appearances"])
                    + c["id"]
                ).casefold()
            ),
        ),
    ],
    ids=["verdict", "doc", "claimant", "q"],
)
def test_the_claims_page_filters(client: Any, store: Path, args: dict[str, str], keep: Any) -> None:
    expected = by_place([c for c in on_disk(store) if keep(c)])
    assert 0 < len(expected) < 47
    root = page(client.get("/claims", query_string=args))
    if "q" in args:  # best match first
        assert sorted(rows(root)) == sorted(expected)
    else:  # in the order of the documents
        assert rows(root) == expected
    for name, value in args.items():
        field = root.one("form", role="search").one(name=name)
        if field.tag == "select":
            assert field.one("option", selected=True).get("value") == value
        else:
            assert field.get("value") == value


def test_the_claims_page_sorts_by_date_descending(client: Any, store: Path) -> None:
    claims = on_disk(store)

    def when(c: dict[str, Any]) -> str | None:
        return c.get("claim_date") or c.get("claim_month")  # "2021-02" before "2021-02-18"

    dated = sorted((c for c in claims if when(c)), key=lambda c: (when(c), c["id"]), reverse=True)
    undated = sorted(c["id"] for c in claims if not when(c))
    assert dated and undated and any(c.get("claim_month") for c in dated)
    # Newest first; claims without a date come last in ascending order, first in descending.
    assert rows(page(client.get("/claims?sort=-date"))) == undated[::-1] + [c["id"] for c in dated]
    asc = [c["id"] for c in reversed(dated)] + undated
    assert rows(page(client.get("/claims?sort=date"))) == asc


def test_the_claims_page_sorts_by_statement(client: Any, store: Path) -> None:
    claims = on_disk(store)
    expected = [c["id"] for c in sorted(claims, key=lambda c: c["statement"].casefold())]
    assert rows(page(client.get("/claims?sort=statement"))) == expected
    assert rows(page(client.get("/claims?sort=-statement"))) == expected[::-1]
    assert rows(page(client.get("/claims?sort=bogus"))) == by_place(claims)


def test_the_claim_rows_fragment_is_sent_to_htmx_targeting_it(client: Any, store: Path) -> None:
    resp = client.get("/claims?verdict=denied", headers={**HX, "HX-Target": "claim-rows"})
    assert resp.status_code == 200
    root = is_fragment(resp)
    top = [c for c in root.children if isinstance(c, Node)]
    assert len(top) == 1 and top[0].get("id") == "claim-rows"
    assert rows(root) == by_place([c for c in on_disk(store) if c.get("verdict") == "denied"])


def test_a_boosted_request_gets_the_full_claims_page(client: Any) -> None:
    resp = client.get("/claims", headers={**HX, "HX-Boosted": "true", "HX-Target": "claim-rows"})
    is_full_page(resp)
    resp = client.get(f"/claims/{EXISTING}", headers={**HX, "HX-Boosted": "true"})
    assert resp.status_code in (302, 303)


# -- new claim -----------------------------------------------------------------------------


def selection_form(ws: Workspace, token: str, **over: str) -> dict[str, str]:
    q = quote(ws, DOC_BBC, EXACT)
    form = {
        "csrf_token": token,
        "doc": DOC_BBC,
        "start": str(q["start"]),
        "end": str(q["end"]),
        "exact": EXACT,
        "statement": "Two missiles were fired at Shusha",
        "claimant": "ANAMA",
        "claim_date": "2021-03-15",
    }
    form.update(over)
    return form


def test_a_new_claim_from_a_selection_redirects_to_its_document_with_it_open(
    client: Any, ws: Workspace, token: str, store: Path
) -> None:
    before = {p.name for p in store.glob("*.json")}
    resp = client.post("/claims", data=selection_form(ws, token))
    assert resp.status_code == 303
    (new,) = {p.name for p in store.glob("*.json")} - before
    cid = new[: -len(".json")]
    loc = urlsplit(resp.headers["Location"])
    assert loc.path == f"/documents/{DOC_BBC}"
    assert parse_qs(loc.query) == {"claim": [cid]}
    claim = stored(store, cid)
    assert claim["claim_date"] == "2021-03-15"
    assert claim["appearances"][0]["exact"] == EXACT
    assert claim["history"][0]["by"] == "tester"


def test_a_new_claim_from_htmx_answers_the_panel_and_triggers_claims_changed(
    client: Any, ws: Workspace, token: str, store: Path
) -> None:
    resp = client.post("/claims", data=selection_form(ws, token), headers=HX)
    assert resp.status_code == 200
    root = is_fragment(resp)
    cid = panel_of(root).get("data-claim-id")
    assert (store / f"{cid}.json").is_file()
    assert "claims-changed" in resp.headers["HX-Trigger"]
    assert json.loads(resp.headers["HX-Trigger"]) == {"claims-changed": cid}


def test_a_new_claim_from_a_typed_quote_finds_its_place(
    client: Any, ws: Workspace, token: str, store: Path, workdir: Path
) -> None:
    form = selection_form(ws, token, start="", end="", exact="")
    form["quote"] = "  Two   missiles\nfired on  Shusha "
    resp = client.post("/claims", data=form, headers=HX)
    assert resp.status_code == 200
    cid = panel_of(is_fragment(resp)).get("data-claim-id")
    (a,) = stored(store, str(cid))["appearances"]
    text = seed_text(workdir, DOC_BBC)
    assert (a["start"], a["end"], a["exact"]) == (text.index(EXACT), text.index(EXACT) + 28, EXACT)


@pytest.mark.parametrize("hx", [False, True])
def test_a_quote_that_is_not_in_the_document_is_a_422_in_the_form(
    client: Any, ws: Workspace, token: str, store: Path, hx: bool
) -> None:
    before = snapshot(store)
    form = selection_form(ws, token, start="", end="", exact="")
    form["quote"] = "Iskanders were launched from the Moon"
    resp = client.post("/claims", data=form, headers=HX if hx else {})
    assert resp.status_code == 422
    root = is_fragment(resp) if hx else is_full_page(resp)
    section = root.by_id("panel").one(id="new-claim") if not hx else root.by_id("new-claim")
    assert "the quote is not in" in section.one(role="alert").text()
    assert section.one("textarea", name="quote").text() == form["quote"]
    assert section.one("textarea", name="statement").text() == form["statement"]
    assert snapshot(store) == before


def test_a_selection_whose_offsets_lie_is_a_422(
    client: Any, ws: Workspace, token: str, store: Path
) -> None:
    before = snapshot(store)
    form = selection_form(ws, token, start="0", end="28")
    resp = client.post("/claims", data=form, headers=HX)
    assert resp.status_code == 422
    assert "appearances[0].exact" in is_fragment(resp).by_id("new-claim").text()
    assert snapshot(store) == before


@pytest.mark.parametrize("hx", [False, True])
def test_an_accidental_selection_of_1572_characters_is_refused_saying_why(
    client: Any, ws: Workspace, token: str, store: Path, workdir: Path, hx: bool
) -> None:
    """It had become a quote without a word; the limit is 1,000 characters."""
    text = seed_text(workdir, DOC_BBC)
    start = text.index(EXACT)
    exact = text[start : start + 1572]
    before = snapshot(store)
    form = selection_form(ws, token, start=str(start), end=str(start + 1572), exact=exact)
    resp = client.post("/claims", data=form, headers=HX if hx else {})
    assert resp.status_code == 422
    root = is_fragment(resp) if hx else is_full_page(resp)
    section = root.by_id("new-claim") if hx else root.by_id("panel").one(id="new-claim")
    alert = section.one(role="alert").text()
    assert "the quote is 1,572 characters long, more than the 1,000 a quote may have" in alert
    assert section.one("textarea", name="statement").text() == form["statement"]
    assert snapshot(store) == before
    # A thousand characters are still a quote.
    form = selection_form(
        ws, token, start=str(start), end=str(start + 1000), exact=text[start : start + 1000]
    )
    assert client.post("/claims", data=form, headers=HX).status_code == 200


# -- verdict, sources, appearances, edit, delete -------------------------------------------


def verdict_form(token: str, version: int, verdict: str, rationale: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "version": str(version),
        "verdict": verdict,
        "rationale": rationale,
        "doc_context": DOC_BBC,
    }


@pytest.mark.parametrize("hx", [False, True])
def test_a_verdict_without_a_fitting_source_is_a_422_keeping_the_rationale(
    client: Any, fresh: str, token: str, store: Path, hx: bool
) -> None:
    before = snapshot(store)
    typed = "Two fragments were shown; <b>no</b> launch record."
    resp = client.post(
        f"/claims/{fresh}/verdict",
        data=verdict_form(token, 1, "confirmed", typed),
        headers=HX if hx else {},
    )
    assert resp.status_code == 422
    root = is_fragment(resp) if hx else is_full_page(resp)
    panel = panel_of(root)
    assert "sources" in panel.by_id("err-verdict").text()
    form = panel_form(panel, f"/claims/{fresh}/verdict")
    assert form.one("textarea", name="rationale").text() == typed
    assert form.one("input", name="verdict", value="confirmed").get("checked") is not None
    assert snapshot(store) == before


def disk_refuses(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """From now on every write to a file fails as a full or read-only disk fails it."""

    def refuse(fd: int, data: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", refuse)


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        (errno.ENOSPC, 507, "the disk that holds the store is full"),
        (errno.EROFS, 503, "the store is on a read-only file system"),
    ],
)
@pytest.mark.parametrize("hx", [False, True])
def test_a_disk_that_refuses_the_save_is_named_and_what_was_typed_is_kept(
    client: Any,
    fresh: str,
    token: str,
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    hx: bool,
    code: int,
    status: int,
    says: str,
) -> None:
    before = snapshot(store)
    typed = "Two fragments were shown in Baku, 780 m apart"
    disk_refuses(monkeypatch, code)
    resp = client.post(
        f"/claims/{fresh}/edit",
        data={"csrf_token": token, "version": "1", "statement": typed, "claimant": "ANAMA"},
        headers=HX if hx else {},
    )
    monkeypatch.undo()
    assert resp.status_code == status
    assert resp.headers["X-Annotate-Error"].startswith(f"nothing was saved: {says}.")
    root = is_fragment(resp) if hx else is_full_page(resp)
    panel = panel_of(root)
    assert says in panel.by_id("err-edit").text()
    form = panel_form(panel, f"/claims/{fresh}/edit")
    assert form.one("textarea", name="statement").text() == typed
    assert snapshot(store) == before


def cite(client: Any, cid: str, token: str, version: int, ws: Workspace, hx: bool) -> Any:
    q = quote(ws, DOC_AZERNEWS, SUPPORT)
    return client.post(
        f"/claims/{cid}/sources",
        data={
            "csrf_token": token,
            "version": str(version),
            "doc_context": DOC_BBC,
            "stance": "supports",
            "kind": "quote",
            "source_doc": DOC_AZERNEWS,
            "source_start": str(q["start"]),
            "source_end": str(q["end"]),
            "source_exact": SUPPORT,
        },
        headers=HX if hx else {},
    )


@pytest.mark.parametrize("hx", [False, True])
def test_citing_a_quote_then_confirming_saves_the_verdict(
    client: Any, fresh: str, token: str, store: Path, ws: Workspace, hx: bool
) -> None:
    resp = cite(client, fresh, token, 1, ws, hx)
    if hx:
        assert resp.status_code == 200
        assert "claims-changed" in resp.headers["HX-Trigger"]
        panel = panel_of(is_fragment(resp))
        assert panel.get("data-version") == "2"
        assert SUPPORT in panel.one("ul", class_="sourcelist").text()
    else:
        assert resp.status_code == 303
        assert parse_qs(urlsplit(resp.headers["Location"]).query) == {"claim": [fresh]}
    source = stored(store, fresh)["sources"][0]
    assert source["stance"] == "supports"
    assert source["quote"]["doc"] == DOC_AZERNEWS and source["quote"]["exact"] == SUPPORT
    resp = client.post(
        f"/claims/{fresh}/verdict",
        data=verdict_form(token, 2, "confirmed", "Sargsyan says so."),
        headers=HX if hx else {},
    )
    claim = stored(store, fresh)
    assert (claim["version"], claim["verdict"], claim["reviewer"]) == (3, "confirmed", "tester")
    if hx:
        assert resp.status_code == 200
        badges = panel_of(is_fragment(resp)).one("p", class_="badges")
        assert badges.one("span", data_verdict=True).get("data-verdict") == "confirmed"
    else:
        assert resp.status_code == 303
        followed = page(client.get(resp.headers["Location"]))
        badges = panel_of(followed).one("p", class_="badges")
        assert badges.one("span", data_verdict=True).text() == "confirmed"
        marks = followed.by_id("doc-text").find_all("mark", data_claim=fresh)
        assert {m.get("data-verdict") for m in marks} == {"confirmed"}


@pytest.mark.parametrize("hx", [False, True])
def test_citing_a_url_and_removing_it(
    client: Any, fresh: str, token: str, store: Path, hx: bool
) -> None:
    resp = client.post(
        f"/claims/{fresh}/sources",
        data={
            "csrf_token": token,
            "version": "1",
            "stance": "refutes",
            "kind": "url",
            "url": "https://example.org/report",
            "title": "A report",
        },
        headers=HX if hx else {},
    )
    assert resp.status_code == (200 if hx else 303)
    (source,) = stored(store, fresh)["sources"]
    assert source == {"stance": "refutes", "url": "https://example.org/report", "title": "A report"}
    resp = client.post(
        f"/claims/{fresh}/sources/0/delete",
        data={"csrf_token": token, "version": "2"},
        headers=HX if hx else {},
    )
    assert resp.status_code == (200 if hx else 303)
    claim = stored(store, fresh)
    assert claim["sources"] == [] and claim["version"] == 3


def test_a_javascript_url_source_is_refused(
    client: Any, fresh: str, token: str, store: Path
) -> None:
    before = snapshot(store)
    resp = client.post(
        f"/claims/{fresh}/sources",
        data={
            "csrf_token": token,
            "version": "1",
            "stance": "supports",
            "kind": "url",
            "url": "javascript:alert(1)",
            "title": "x",
        },
        headers=HX,
    )
    assert resp.status_code == 422
    panel = panel_of(is_fragment(resp))
    assert "url" in panel.by_id("err-sources").text()
    assert panel.one("input", name="url").get("value") == "javascript:alert(1)"
    assert snapshot(store) == before


def test_removing_the_only_source_of_a_verdict_is_refused(
    client: Any, token: str, store: Path
) -> None:
    before = snapshot(store)
    # A verdict whose rules need its one supporting source: confirmed, or disputed on
    # contested evidence (a supporting and a refuting source).
    claim = next(
        c
        for c in on_disk(store)
        if (
            c["verdict"] == "confirmed"
            or (c["verdict"] == "disputed" and c.get("basis") != "unsubstantiated")
        )
        and [s["stance"] for s in c["sources"]].count("supports") == 1
    )
    only_supporting = [i for i, s in enumerate(claim["sources"]) if s["stance"] == "supports"]
    resp = client.post(
        f"/claims/{claim['id']}/sources/{only_supporting[0]}/delete",
        data={"csrf_token": token, "version": str(claim["version"])},
        headers=HX,
    )
    assert resp.status_code == 422
    assert "sources" in panel_of(is_fragment(resp)).by_id("err-sources").text()
    assert snapshot(store) == before


@pytest.mark.parametrize("hx", [False, True])
def test_adding_and_removing_an_appearance(
    client: Any, fresh: str, token: str, store: Path, hx: bool
) -> None:
    resp = client.post(
        f"/claims/{fresh}/appearances",
        data={
            "csrf_token": token,
            "version": "1",
            "doc": DOC_AZERNEWS,
            "start": "",
            "end": "",
            "exact": "",
            "quote": SUPPORT.replace(" ", "\n"),
        },
        headers=HX if hx else {},
    )
    assert resp.status_code == (200 if hx else 303)
    apps = stored(store, fresh)["appearances"]
    assert [(a["doc"], a["exact"]) for a in apps] == [(DOC_BBC, EXACT), (DOC_AZERNEWS, SUPPORT)]
    if hx:
        panel = panel_of(is_fragment(resp))
        assert len(panel.one("ol", class_="applist").find_all("li")) == 2
    resp = client.post(
        f"/claims/{fresh}/appearances/0/delete",
        data={"csrf_token": token, "version": "2"},
        headers=HX if hx else {},
    )
    assert resp.status_code == (200 if hx else 303)
    apps = stored(store, fresh)["appearances"]
    assert [(a["doc"], a["exact"]) for a in apps] == [(DOC_AZERNEWS, SUPPORT)]
    resp = client.post(
        f"/claims/{fresh}/appearances/0/delete",
        data={"csrf_token": token, "version": "3"},
        headers=HX,
    )
    assert resp.status_code == 422
    assert stored(store, fresh)["version"] == 3


@pytest.mark.parametrize("hx", [False, True])
def test_editing_a_claim(client: Any, fresh: str, token: str, store: Path, hx: bool) -> None:
    resp = client.post(
        f"/claims/{fresh}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "statement": "Edited statement",
            "claimant": "Idris Ismayilov (ANAMA)",
            "claim_date": "2021-03-16",
        },
        headers=HX if hx else {},
    )
    assert resp.status_code == (200 if hx else 303)
    claim = stored(store, fresh)
    assert (claim["statement"], claim["claimant"], claim["claim_date"]) == (
        "Edited statement",
        "Idris Ismayilov (ANAMA)",
        "2021-03-16",
    )
    assert claim["history"][-1]["action"] == "edited"
    if hx:
        assert panel_of(is_fragment(resp)).by_id("claim-title").text() == "Edited statement"


@pytest.mark.parametrize("hx", [False, True])
def test_deleting_a_claim(client: Any, fresh: str, token: str, store: Path, hx: bool) -> None:
    resp = client.post(
        f"/claims/{fresh}/delete",
        data={"csrf_token": token, "version": "1", "doc_context": DOC_BBC},
        headers=HX if hx else {},
    )
    if hx:
        assert resp.status_code == 200
        assert json.loads(resp.headers["HX-Trigger"]) == {"claims-changed": fresh}
        assert fresh in is_fragment(resp).text()
    else:
        assert resp.status_code == 303
        assert urlsplit(resp.headers["Location"]).path == f"/documents/{DOC_BBC}"
    assert not (store / f"{fresh}.json").exists()
    assert len(list((store / ".trash").glob(f"{fresh}.*.json"))) == 1
    assert client.get(f"/claims/{fresh}", headers=HX).status_code == 404


def test_the_same_verdict_saved_twice_is_one_version_and_says_nothing_changed(
    client: Any, fresh: str, token: str, store: Path, ws: Workspace
) -> None:
    assert cite(client, fresh, token, 1, ws, hx=False).status_code == 303
    form = verdict_form(token, 2, "confirmed", "The AzerNews report says so.")
    assert client.post(f"/claims/{fresh}/verdict", data=form, headers=HX).status_code == 200
    before = snapshot(store)
    again = client.post(f"/claims/{fresh}/verdict", data={**form, "version": "3"}, headers=HX)
    assert "no field differs from the claim" in is_fragment(again).text()
    assert snapshot(store) == before
    assert client.get(f"/api/claims/{fresh}").get_json()["version"] == 3


def test_a_stale_verdict_form_is_a_409_conflict_keeping_what_was_typed(
    client: Any, fresh: str, token: str, store: Path, ws: Workspace
) -> None:
    # Another reviewer (through the API, as "tester" too) cites a source meanwhile.
    assert cite(client, fresh, token, 1, ws, hx=False).status_code == 303
    before = snapshot(store)
    typed = "My own careful rationale."
    resp = client.post(
        f"/claims/{fresh}/verdict", data=verdict_form(token, 1, "denied", typed), headers=HX
    )
    assert resp.status_code == 409
    panel = panel_of(is_fragment(resp))
    conflict = panel.by_id("conflict")
    assert "tester" in conflict.text()
    assert "version 2" in conflict.text()
    form = panel_form(panel, f"/claims/{fresh}/verdict")
    assert form.one("textarea", name="rationale").text() == typed
    assert form.one("input", name="verdict", value="denied").get("checked") is not None
    assert hidden(form, "version") == "2"
    assert snapshot(store) == before


def test_a_stale_verdict_form_shows_their_version_beside_the_typed_one_field_by_field(
    client: Any, fresh: str, token: str, store: Path, ws: Workspace
) -> None:
    # Someone else cites a source and saves a confirmed verdict meanwhile.
    assert cite(client, fresh, token, 1, ws, hx=False).status_code == 303
    theirs = "Their reading: the AzerNews report settles it."
    saved = client.post(
        f"/claims/{fresh}/verdict", data=verdict_form(token, 2, "confirmed", theirs), headers=HX
    )
    assert saved.status_code == 200
    before = snapshot(store)
    mine = "Mine: nobody else reported it."
    resp = client.post(
        f"/claims/{fresh}/verdict",
        data={**verdict_form(token, 1, "disputed", mine), "basis": "unsubstantiated"},
        headers=HX,
    )
    assert resp.status_code == 409
    panel = panel_of(is_fragment(resp))
    notice = panel.by_id("conflict").text()
    assert "compared field by field" in notice
    assert "they differ in: verdict, if disputed, why, rationale, sources" in notice
    compare = panel.by_id("compare")
    rows = {r.get("data-field"): r for r in compare.find_all("tr", data_field=True)}
    assert list(rows) == ["verdict", "basis", "rationale", "sources", "reviewer", "at"]
    differs = {f for f, r in rows.items() if r.get("data-differs") == "true"}
    assert differs == {"verdict", "basis", "rationale", "sources"}

    def side(field: str, which: str) -> str:
        return rows[field].one("td", data_side=which).text()

    assert "confirmed" in side("verdict", "theirs") and "disputed" in side("verdict", "yours")
    assert theirs in side("rationale", "theirs") and mine in side("rationale", "yours")
    assert "supports" in side("sources", "theirs") and side("sources", "yours") == "none"
    assert "unsubstantiated" in side("basis", "yours")
    assert "tester" in side("reviewer", "theirs") and side("at", "yours") == "not saved yet"
    # "Use theirs" offers their value; "keep yours" submits the kept form; "take theirs"
    # opens the claim as it is now.
    take = rows["rationale"].one("button", data_take="rationale")
    assert take.get("data-value") == theirs
    keep = compare.one("button", data_keep="verdict")
    assert keep.get("form") == "form-verdict"
    form = panel_form(panel, f"/claims/{fresh}/verdict")
    assert form.get("id") == "form-verdict" and hidden(form, "version") == "3"
    assert form.one("textarea", name="rationale").text() == mine
    assert compare.one("a", data_discard="verdict").get("href", "").endswith("#panel")
    assert snapshot(store) == before


def test_a_stale_form_without_htmx_is_a_409_page(
    client: Any, fresh: str, token: str, store: Path
) -> None:
    client.post(
        f"/claims/{fresh}/edit",
        data={"csrf_token": token, "version": "1", "statement": "First", "claimant": "A"},
    )
    before = snapshot(store)
    resp = client.post(
        f"/claims/{fresh}/edit",
        data={"csrf_token": token, "version": "1", "statement": "Second", "claimant": "B"},
    )
    assert resp.status_code == 409
    root = is_full_page(resp)
    panel = panel_of(root)
    assert panel.by_id("conflict")
    form = panel_form(panel, f"/claims/{fresh}/edit")
    assert form.one("textarea", name="statement").text() == "Second"
    assert hidden(form, "version") == "2"
    rows = {r.get("data-field"): r for r in panel.by_id("compare").find_all("tr", data_field=True)}
    assert rows["statement"].get("data-differs") == "true"
    assert "First" in rows["statement"].one("td", data_side="theirs").text()
    assert "Second" in rows["statement"].one("td", data_side="yours").text()
    assert snapshot(store) == before


# -- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", [None, "wrong", "", "é"])
def test_a_form_post_without_the_right_csrf_token_is_403_and_writes_nothing(
    app: Any, ws: Workspace, token: str, client: Any, store: Path, sent: str | None
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    before = snapshot(store)
    form = selection_form(ws, token)
    if sent is None:
        del form["csrf_token"]
    else:
        form["csrf_token"] = sent
    resp = client.post("/claims", data=form)
    assert resp.status_code == 403
    resp = client.post("/claims", data=form, headers={**HX, "X-CSRF-Token": sent or "x"})
    assert resp.status_code == 403
    is_fragment(resp)
    resp = client.post(
        f"/claims/{EXISTING}/delete", data={"version": "2", "csrf_token": sent or ""}
    )
    assert resp.status_code == 403
    assert snapshot(store) == before


@pytest.mark.parametrize("sent", [None, "", "made-up"])
def test_a_form_post_from_a_client_that_never_got_a_page_is_403_and_writes_nothing(
    app: Any, ws: Workspace, store: Path, sent: str | None
) -> None:
    # No GET first: the session holds no CSRF token yet, and that must not let a post pass.
    client = app.test_client()
    version = str(json.loads((store / f"{EXISTING}.json").read_text("utf-8"))["version"])
    before = snapshot(store)
    form = selection_form(ws, sent or "")
    delete = {"version": version, "csrf_token": sent or ""}
    if sent is None:
        del form["csrf_token"], delete["csrf_token"]
    assert client.post("/claims", data=form).status_code == 403
    headers = {**HX, "X-CSRF-Token": sent or ""}
    assert client.post("/claims", data=form, headers=headers).status_code == 403
    assert client.post(f"/claims/{EXISTING}/delete", data=delete).status_code == 403
    assert snapshot(store) == before


def test_the_csrf_header_alone_is_accepted(client: Any, ws: Workspace, token: str) -> None:
    form = selection_form(ws, token)
    del form["csrf_token"]
    resp = client.post("/claims", data=form, headers={**HX, "X-CSRF-Token": token})
    assert resp.status_code == 200


def test_another_sessions_token_is_refused(app: Any, ws: Workspace, store: Path) -> None:
    alice, mallory = app.test_client(), app.test_client()
    csrf(alice)
    before = snapshot(store)
    resp = alice.post("/claims", data=selection_form(ws, csrf(mallory)))
    assert resp.status_code == 403
    assert snapshot(store) == before


def test_a_cross_origin_form_post_is_403_even_with_the_token(
    client: Any, ws: Workspace, token: str, store: Path
) -> None:
    before = snapshot(store)
    resp = client.post(
        "/claims", data=selection_form(ws, token), headers={"Origin": "https://evil.example"}
    )
    assert resp.status_code == 403
    assert snapshot(store) == before


def test_a_form_version_in_odd_digits_is_a_4xx_not_a_500(
    unsafe: Any, fresh: str, token: str, store: Path
) -> None:
    before = snapshot(store)
    form = verdict_form(token, 1, "confirmed", "r") | {"version": "\u00b2"}
    resp = unsafe.post(f"/claims/{fresh}/verdict", data=form)
    assert 400 <= resp.status_code < 500
    assert snapshot(store) == before


def test_form_offsets_in_odd_digits_are_a_4xx_not_a_500(
    unsafe: Any, ws: Workspace, token: str, store: Path
) -> None:
    before = snapshot(store)
    resp = unsafe.post("/claims", data=selection_form(ws, token, start="\u00b2", end="\u00b3"))
    assert 400 <= resp.status_code < 500
    assert snapshot(store) == before


def test_a_very_long_claim_id_is_a_404_not_a_500(unsafe: Any) -> None:
    assert unsafe.get("/claims/" + "a" * 300, headers=HX).status_code == 404
    assert unsafe.get(f"/documents/{DOC_BBC}?claim=" + "a" * 300).status_code == 200


# -- without JavaScript, CSP ---------------------------------------------------------------


def pages_to_check(client: Any, fresh: str) -> list[tuple[str, Node]]:
    paths = [
        "/",
        "/claims",
        "/export",
        f"/documents/{DOC_BBC}",
        f"/documents/{DOC_BBC}?claim={fresh}",
        f"/documents/{DOC_IDS[4]}?claim={EXISTING}",
    ]
    out = []
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, path
        out.append((path, page(resp)))
    return out


def test_every_form_works_without_javascript(client: Any, fresh: str) -> None:
    seen_post = 0
    for path, root in pages_to_check(client, fresh):
        for form in root.find_all("form"):
            method = (form.get("method") or "get").lower()
            if method == "dialog":
                continue
            action = form.get("action")
            assert action and action.startswith("/"), (path, form)
            if form.get("hx-post") is not None:
                assert method == "post", (path, form)
                assert form.get("hx-post") == action, (path, form)
            if method == "post":
                seen_post += 1
                assert form.find("input", name="csrf_token", type="hidden"), (path, action)
                assert any(b.get("type", "submit") == "submit" for b in form.find_all("button")), (
                    path,
                    action,
                )
            else:
                assert method == "get" and form.get("hx-post") is None, (path, form)
    assert seen_post > 10


def test_pages_have_no_inline_script_or_handlers(client: Any, fresh: str) -> None:
    for path, root in pages_to_check(client, fresh):
        scripts = root.find_all("script")
        assert scripts, path
        for s in scripts:
            assert str(s.get("src", "")).startswith("/static/"), (path, s)
            assert s.text().strip() == "", path
        for node in root.iter():
            for name in node.attrs:
                assert not name.startswith("on"), (path, node)
                assert not name.startswith("hx-on"), (path, node)
                assert name != "style", (path, node)
            href = str(node.get("href", ""))
            assert not href.lower().startswith("javascript:"), (path, node)


def test_page_answers_carry_the_security_headers(client: Any, fresh: str) -> None:
    for resp in (
        client.get("/"),
        client.get(f"/claims/{fresh}", headers=HX),
        client.get("/documents/nope"),
        client.post("/claims", data={}),
    ):
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script_src
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_a_statement_with_markup_is_escaped_everywhere(
    client: Any, ws: Workspace, store: Path
) -> None:
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"'
    body = {"statement": evil, "claimant": evil, "appearances": [quote(ws, DOC_BBC, EXACT)]}
    cid = client.post("/api/claims", json=body).get_json()["id"]
    for path, headers in [
        (f"/documents/{DOC_BBC}?claim={cid}", {}),
        ("/claims", {}),
        (f"/claims/{cid}", HX),
    ]:
        resp = client.get(path, headers=headers)
        html = resp.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        root = parse(html)
        assert not root.find("img"), path
        assert all(s.get("src") for s in root.find_all("script")), path
    root = page(client.get(f"/documents/{DOC_BBC}?claim={cid}"))
    assert panel_of(root).by_id("claim-title").text() == evil


# -- export --------------------------------------------------------------------------------


def test_the_export_page_links_every_format_and_each_link_answers(workdir: Path) -> None:
    from annotate.formats.export import FORMATS

    # A desk that publishes: claimreview needs a public base URL (without, the page says so).
    client = make_app(workdir, BASE_URL="http://factcheck.example.org").test_client()
    root = is_full_page(client.get("/export"))
    links = root.one("ul", class_="exports").find_all("a")
    formats = {parse_qs(urlsplit(str(a.get("href"))).query)["format"][0] for a in links}
    assert formats == set(FORMATS) and {"json", "csv"} <= formats
    for a in links:
        href = str(a.get("href"))
        resp = client.get(href)
        assert resp.status_code == 200, href
        fmt = parse_qs(urlsplit(href).query)["format"][0]
        assert resp.content_type == FORMATS[fmt].media_type
        assert resp.get_data()


def test_the_edit_form_sets_and_removes_the_short_form(
    client: Any, fresh: str, token: str, store: Path
) -> None:
    statement = client.get(f"/api/claims/{fresh}").get_json()["statement"]
    short = "Two fragments shown in Baku"
    resp = client.post(
        f"/claims/{fresh}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "statement": statement,
            "short_statement": short,
            "claimant": "ANAMA",
        },
        headers=HX,
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    panel = panel_of(is_fragment(resp))
    assert short in panel.one("p", class_="meta short-statement").text()
    form = panel_form(panel, f"/claims/{fresh}/edit")
    assert form.one("input", name="short_statement").get("value") == short
    assert client.get(f"/api/claims/{fresh}").get_json()["short_statement"] == short
    # A refused save keeps the short form typed; an empty one removes it.
    refused = client.post(
        f"/claims/{fresh}/edit",
        data={
            "csrf_token": token,
            "version": "2",
            "statement": "",
            "short_statement": "Kept",
            "claimant": "ANAMA",
        },
        headers=HX,
    )
    assert refused.status_code == 422
    kept = panel_form(panel_of(is_fragment(refused)), f"/claims/{fresh}/edit")
    assert kept.one("input", name="short_statement").get("value") == "Kept"
    cleared = client.post(
        f"/claims/{fresh}/edit",
        data={
            "csrf_token": token,
            "version": "2",
            "statement": statement,
            "short_statement": "  ",
            "claimant": "ANAMA",
        },
        headers=HX,
    )
    assert cleared.status_code == 200
    assert "short_statement" not in client.get(f"/api/claims/{fresh}").get_json()
