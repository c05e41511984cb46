"""The timeline and the who-says-what matrix: their pages (filters, the table equivalents,
the claims without a date beside, blind review), their files (standalone SVG, PNG, JSON)
from the pages and from `annotate picture`. Relations are made through the API on copies."""

from __future__ import annotations

import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import DOC_BBC
from .test_reviews import adam, alice, desk, reviewers_template  # noqa: F401 (fixtures)
from .webutil import page, snapshot

SVG = "{http://www.w3.org/2000/svg}"
QUESTION = "Were Iskanders used in the Karabakh war?"
MOD = "ru-mod-no-iskander-used"  # Russian Ministry of Defence, 26 Feb 2021, denied
PESKOV = "kremlin-iskanders-not-used"  # Dmitry Peskov, no date, denied
FOUND = "iskander-fragments-found-in-shusha"  # ANAMA, 2 Apr 2021, confirmed
WAR_CRIME = "aliyev-iskander-evidence-of-armenian-war-crime"  # Ilham Aliyev, 12 Apr 2021
ALIYEV_FEB = "aliyev-february-no-iskander-use-detected"  # Ilham Aliyev, no date
ANAMA = "Mine Action Agency of the Republic of Azerbaijan (ANAMA)"


@pytest.fixture(autouse=True)
def _unlinked(unlinked: Path) -> None:
    """Each test makes the group it is about (the shipped record's own questions are
    tested in test_views_shipped.py)."""


def patch(client: Any, claim_id: str, body: dict[str, Any]) -> Any:
    version = client.get(f"/api/claims/{claim_id}").get_json()["version"]
    resp = client.patch(f"/api/claims/{claim_id}", json=body, headers={"If-Match": f'"{version}"'})
    assert resp.status_code == 200, resp.get_json()
    return resp


def iskander_question(client: Any) -> None:
    """A 'Were Iskanders used?' group as part A's data will have it: the February denials
    (the MoD named it, answer no; Aliyev and Peskov repeat it, dated here), the April find
    and Aliyev's war-crime claim contradicting it."""
    patch(client, MOD, {"question": {"name": QUESTION, "answer": "no"}})
    patch(client, ALIYEV_FEB, {"claim_date": "2021-02-27", "relations": [_r("repeats", MOD)]})
    patch(client, PESKOV, {"relations": [_r("repeats", MOD)]})
    patch(client, FOUND, {"relations": [_r("contradicts", MOD)]})
    patch(client, WAR_CRIME, {"relations": [_r("repeats", FOUND)]})


def _r(kind: str, claim: str) -> dict[str, str]:
    return {"kind": kind, "claim": claim}


def table_rows(resp: Any, cls: str) -> list[Any]:
    table = page(resp).one("table", **{"class": f"cards {cls}"})
    return [tr for tr in table.find_all("tr") if tr.find("td") is not None]


def parse_svg(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return root


def svg_text(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


# -- the timeline page -------------------------------------------------------------------------


def test_the_timeline_lists_the_dated_claims_in_date_order_and_the_undated_beside(
    client: Any, store: Path
) -> None:
    files = [json.loads(p.read_text()) for p in store.glob("*.json")]
    dated = {c["id"] for c in files if c.get("claim_date") or c.get("claim_month")}
    resp = client.get("/timeline")
    assert resp.status_code == 200
    rows = table_rows(resp, "timeline-table")
    dates = [r.one("time").get("datetime") for r in rows]
    # A month ("In February": `2021-02`) is placed at its middle, before 18 February.
    assert dates == sorted(dates) and dates[0] == "2021-02" and dates[-1] == "2021-04-12"
    assert "2021-02-18" in dates
    assert {r.get("data-claim-row") for r in rows} == dated
    mod = next(r for r in rows if r.get("data-claim-row") == MOD)
    assert mod.one("span", **{"class": "badge v-denied"}).text() == "denied"
    href = mod.one("a").get("href")
    assert href == f"/documents/{_doc_of(client, MOD)}?claim={MOD}#panel"
    undated = page(resp).one("aside", **{"class": "undated card"})
    ids = [li.get("data-claim") for li in undated.find_all("li")]
    assert PESKOV in ids and MOD not in ids and len(ids) == len(files) - len(dated)
    # The picture in the page: the same claims, each a link to its panel, with its verdict.
    svg = page(resp).one("svg")
    links = [a.get("href") for a in svg.find_all("a")]
    assert f"/documents/{_doc_of(client, MOD)}?claim={MOD}#panel" in links
    assert f"/documents/{DOC_BBC}" in links  # an article's publication mark: its page
    assert "Timeline" in [a.text() for a in page(resp).find_all("a", **{"aria-current": "page"})]


def _doc_of(client: Any, claim_id: str) -> str:
    return str(client.get(f"/api/claims/{claim_id}").get_json()["appearances"][0]["doc"])


def test_the_timeline_filters_by_question_claimant_and_verdict(client: Any) -> None:
    iskander_question(client)
    by_q = client.get(f"/timeline?question={MOD}")
    ids = [r.get("data-claim-row") for r in table_rows(by_q, "timeline-table")]
    assert ids == [MOD, ALIYEV_FEB, FOUND, WAR_CRIME]  # 26 Feb, 27 Feb, 2 Apr, 12 Apr
    assert [li.get("data-claim") for li in page(by_q).find_all("li", **{"data-claim": True})] == [
        PESKOV
    ]
    answers = [r.find_all("td")[-1].text() for r in table_rows(by_q, "timeline-table")]
    assert answers == [f"{QUESTION}: denies"] * 2 + [f"{QUESTION}: asserts"] * 2
    assert f"Who said what, when: {QUESTION}" in page(by_q).one("figcaption").text()
    # The filter form keeps what was chosen; the files carry the same filters.
    chosen = page(by_q).by_id("f-question").find("option", selected=True)
    assert chosen is not None and chosen.get("value") == MOD
    assert f"/timeline.svg?question={MOD}" in [a.get("href") for a in page(by_q).find_all("a")]
    by_claimant = client.get("/timeline?claimant=Ilham+Aliyev")
    rows = table_rows(by_claimant, "timeline-table")
    assert rows and {r.find_all("td")[1].text() for r in rows} == {"Ilham Aliyev"}
    denied = client.get("/timeline?verdict=denied")
    rows = table_rows(denied, "timeline-table")
    assert rows and {r.one("span").text() for r in rows} == {"denied"}


def test_bad_filters_are_refused_with_what_is_wrong_and_change_nothing(
    client: Any, store: Path
) -> None:
    before = snapshot(store)
    bad_verdict = client.get("/timeline?verdict=wrong")
    assert bad_verdict.status_code == 422
    assert "verdict: &#39;wrong&#39; is not one of confirmed, denied, disputed, unreviewed" in (
        bad_verdict.get_data(as_text=True)
    )
    # A file's refusals are the API's error body, whatever the format asked.
    for path in ("/timeline.json?verdict=wrong", "/matrix.svg?verdict=wrong"):
        refused = client.get(path)
        assert refused.status_code == 422, path
        assert refused.get_json()["error"] == (
            "verdict: 'wrong' is not one of confirmed, denied, disputed, unreviewed"
        )
    no_question = client.get("/matrix.svg?question=no-such-claim")
    assert no_question.status_code == 404
    assert "no question 'no-such-claim'" in no_question.get_json()["error"]
    no_format = client.get("/timeline.gif")
    assert no_format.status_code == 404
    assert no_format.get_json()["error"] == "no picture format 'gif': svg, png or json"
    assert snapshot(store) == before


def test_a_store_without_dated_claims_says_so(client: Any, empty_store: Path) -> None:
    from .webutil import make_app

    app = make_app(empty_store)
    c = app.test_client()
    resp = c.get("/timeline")
    assert resp.status_code == 200
    assert "No dated claim matches these filters." in page(resp).one("tbody").text()
    assert "Every claim shown has a date." in resp.get_data(as_text=True)
    root = parse_svg(c.get("/timeline.svg").data)
    assert "No dated claim to put on a time axis." in svg_text(root)
    matrix = c.get("/matrix")
    assert "No claim answers a question with these filters." in page(matrix).one("tbody").text()


# -- the matrix page ---------------------------------------------------------------------------


def test_the_matrix_shows_who_asserts_and_who_denies(client: Any) -> None:
    iskander_question(client)
    resp = client.get("/matrix")
    assert resp.status_code == 200
    table = page(resp).one("table", **{"class": "cards matrix-table"})
    heads = [th.text() for th in table.one("thead").find_all("th")]
    assert heads == ["Claimant", QUESTION]
    said = {
        tr.get("data-claimant"): [p.one("strong").text() for p in tr.find_all("p")]
        for tr in table.one("tbody").find_all("tr")
    }
    assert said == {
        "Russian Ministry of Defence": ["denies"],
        "Ilham Aliyev": ["asserts", "denies"],  # both sides: 12 Apr and 27 Feb
        ANAMA: ["asserts"],
        "Dmitry Peskov": ["denies"],  # undated: last
    }
    assert list(said)[:2] == ["Russian Ministry of Defence", "Ilham Aliyev"]  # first dates
    aliyev = table.one("tr", **{"data-claimant": "Ilham Aliyev"})
    links = [a.get("href") for a in aliyev.find_all("a")]
    assert links == [
        f"/documents/{_doc_of(client, WAR_CRIME)}?claim={WAR_CRIME}#panel",
        f"/documents/{_doc_of(client, ALIYEV_FEB)}?claim={ALIYEV_FEB}#panel",
    ]
    assert [t.get("datetime") for t in aliyev.find_all("time")] == ["2021-04-12", "2021-02-27"]
    assert aliyev.find("span", **{"class": "badge v-disputed"}) is not None


def test_an_unnamed_question_is_shown_by_its_first_claims_statement(client: Any) -> None:
    patch(client, FOUND, {"relations": [_r("repeats", WAR_CRIME)]})
    data = client.get("/matrix.json").get_json()
    first = client.get(f"/api/claims/{WAR_CRIME}").get_json()  # 'aliyev-…' < 'iskander-…'
    label = f"“{first.get('short_statement') or first['statement']}”"
    assert data["questions"] == [{"id": WAR_CRIME, "name": None, "label": label, "problems": []}]
    answers = {c["id"]: c["answer"] for c in data["claims"]}
    assert answers == {WAR_CRIME: "yes", FOUND: "yes"}
    resp = client.get("/matrix")
    assert [th.text() for th in page(resp).find_all("th", scope="col")][1] == label
    root = parse_svg(client.get("/matrix.svg").data)
    assert "A quoted column head is an unnamed question" in svg_text(root)


def test_a_question_whose_links_clash_says_so_on_the_matrix(client: Any) -> None:
    patch(client, PESKOV, {"relations": [_r("repeats", MOD), _r("contradicts", FOUND)]})
    patch(client, FOUND, {"relations": [_r("repeats", MOD)]})
    resp = client.get("/matrix")
    note = page(resp).one("p", **{"class": "message warn"}).text()
    assert "linked as giving" in note


# -- blind review and permissions --------------------------------------------------------------


def test_blind_review_hides_the_verdicts_here_too(alice: Any, adam: Any) -> None:  # noqa: F811
    hidden = alice.get("/timeline.json").get_json()
    assert {c["verdict"] for c in hidden["claims"]} == {"unreviewed"}
    page_text = alice.get("/timeline").get_data(as_text=True)
    assert "v-denied" not in page_text and "badge v-unreviewed" in page_text
    root = parse_svg(alice.get("/timeline.svg").data)
    marks = "".join("".join(a.itertext()) for a in root.iter(f"{SVG}a"))
    assert "•" in marks and not {"✓", "✗", "?"} & set(marks)
    seen = adam.get("/timeline.json").get_json()
    assert "denied" in {c["verdict"] for c in seen["claims"]}


def test_the_pictures_need_a_login_in_team_mode(desk: Any) -> None:  # noqa: F811
    anonymous = desk.test_client()
    for path in ("/timeline", "/matrix", "/timeline.svg", "/matrix.json"):
        resp = anonymous.get(path)
        assert resp.status_code in (302, 303, 401), (path, resp.status_code)


# -- the files ---------------------------------------------------------------------------------


def test_the_svg_is_standalone_with_caption_legend_and_sources(client: Any) -> None:
    iskander_question(client)
    resp = client.get(f"/timeline.svg?question={MOD}&download=1")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert re.match(
        r'attachment; filename="annotate-timeline-\d{4}-\d\d-\d\d\.svg"',
        resp.headers["Content-Disposition"],
    )
    root = parse_svg(resp.data)
    assert root.get("width") and root.get("viewBox")
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text == f"Who said what, when: {QUESTION}"
    assert desc is not None and "Sources: [1] BBC News Україна: Whose Iskanders" in str(desc.text)
    text = svg_text(root)
    assert "5 claims by 4 claimants, 26 Feb 2021 to 12 Apr 2021; 1 without a date" in text
    assert "(Caucasian Knot, 6 Apr 2021)" in text  # an article with its outlet and date
    assert re.search(
        r"Fact-check record: annotate fact-check desk, \S+ · exported \d+ \w+ \d{4}", text
    )
    for legend in ("confirmed", "denied", "disputed", "unreviewed"):
        assert legend in text
    # Nothing to fetch: no stylesheet, script, image or font; links only to claims and articles.
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "desc", "rect", "line", "circle", "text", "g", "a"}, tags
    assert "url(" not in resp.get_data(as_text=True)
    hrefs = [a.get("href") for a in root.iter(f"{SVG}a")]
    assert hrefs and all(h and h.startswith("http") for h in hrefs)
    assert f"http://127.0.0.1:5000/claims/{MOD}" in hrefs  # the claim's public review page
    # Each claim's marker is marked by verdict with its icon, not by colour alone.
    mod = next(a for a in root.iter(f"{SVG}a") if a.get("href", "").endswith(f"/{MOD}"))
    assert "✗" in "".join(mod.itertext())
    assert "Russian Ministry of Defence, 26 Feb 2021" in str(mod.get("aria-label"))


def test_claims_on_one_day_are_stacked_and_long_names_cut(client: Any, workdir: Path) -> None:
    text = (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8")
    long_name = "The Extraordinarily Long Name of a Ministry of Information and Press"
    for i, exact in enumerate(("Two missiles fired on Shusha", "Iskander", "Shusha")):
        start = text.index(exact)
        resp = client.post(
            "/api/claims",
            json={
                "statement": f"Claim number {i} on one day",
                "claimant": long_name,
                "claim_date": "2021-03-01",
                "appearances": [
                    {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
                ],
            },
        )
        assert resp.status_code == 201, resp.get_json()
    root = parse_svg(client.get("/timeline.svg?claimant=" + long_name).data)
    circles = [
        (c.get("cx"), c.get("cy")) for a in root.iter(f"{SVG}a") for c in a.iter(f"{SVG}circle")
    ]
    assert len(circles) == 3 and len(set(circles)) == 3  # one x, three rows
    assert len({x for x, _ in circles}) == 1
    # The lane's label is cut to fit its column, the whole name in its tooltip.
    label = next(g for g in root.iter(f"{SVG}g") if g.findtext(f"{SVG}title") == long_name)
    shown = label.findtext(f"{SVG}text") or ""
    assert shown.endswith("…") and long_name.startswith(shown[:-1])


def test_a_span_of_years_is_ticked_by_year(client: Any) -> None:
    patch(client, MOD, {"claim_date": "2018-06-01"})
    root = parse_svg(client.get("/timeline.svg").data)
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert {"2019", "2020", "2021"} <= set(labels)


def test_the_png_is_the_svg_rendered_twice_its_size(client: Any) -> None:
    svg = parse_svg(client.get("/matrix.svg").data)
    data = client.get("/matrix.png").data
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (2 * int(svg.get("width", "")), 2 * int(svg.get("height", "")))


def test_a_picture_too_big_for_a_png_is_its_own_size_or_refused(
    client: Any, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from annotate.formats import pictures

    svg = parse_svg(client.get("/matrix.svg").data)
    width, height = int(svg.get("width", "")), int(svg.get("height", ""))
    monkeypatch.setattr(pictures, "MAX_PNG_PIXELS", width * height)  # not at twice the size
    data = client.get("/matrix.png").data
    assert struct.unpack(">II", data[16:24]) == (width, height)
    monkeypatch.setattr(pictures, "MAX_PNG_PIXELS", width * height - 1)
    resp = client.get("/matrix.png")
    assert resp.status_code == 422
    assert f"this picture is {width} × {height} px, too big for a PNG" in resp.get_json()["error"]
    result = run("picture", "matrix", "--format", "png", "-o", "m.png")
    assert result.exit_code == 2 and "narrow it to a question or a claimant" in result.output


def test_without_resvg_the_png_says_how_to_get_it(
    client: Any, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "resvg_py", None)  # `import resvg_py` fails
    resp = client.get("/timeline.png")
    assert resp.status_code == 501
    assert "pip install 'annotate-factcheck[png]'" in resp.get_json()["error"]
    result = run("picture", "timeline", "--format", "png", "-o", "t.png")
    assert result.exit_code == 2
    assert "pip install 'annotate-factcheck[png]'" in result.output


def test_the_json_has_what_a_newsroom_charts(client: Any) -> None:
    iskander_question(client)
    data = client.get(f"/matrix.json?question={MOD}").get_json()
    assert data["picture"] == "matrix" and data["title"] == f"Who says what: {QUESTION}"
    assert data["source"]["desk"] == "annotate fact-check desk"
    assert data["source"]["filters"] == {"question": MOD}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", data["source"]["exported"])
    mod = next(c for c in data["claims"] if c["id"] == MOD)
    assert mod == {
        "id": MOD,
        "statement": mod["statement"],
        "short_statement": mod["short_statement"],
        "claimant": "Russian Ministry of Defence",
        "date": "2021-02-26",
        "month": None,
        "verdict": "denied",
        "question": MOD,
        "answer": "no",
        "url": f"http://127.0.0.1:5000/claims/{MOD}",
        "documents": mod["documents"],
    }
    numbers = {d["id"]: d["number"] for d in data["documents"]}
    assert all(d in numbers for c in data["claims"] for d in c["documents"])
    assert {c["claimant"]: c["answer"] for c in data["cells"]}["Dmitry Peskov"] == "no"
    assert {(c["claimant"], c["answer"]) for c in data["cells"]} >= {
        ("Ilham Aliyev", "yes"),
        ("Ilham Aliyev", "no"),
    }
    assert data["questions"][0]["name"] == QUESTION
    timeline = client.get("/timeline.json").get_json()
    assert "cells" not in timeline and len(timeline["claims"]) == 73


# -- the command -------------------------------------------------------------------------------


def test_annotate_picture_writes_each_format(
    client: Any, run: Callable[..., Any], workdir: Path
) -> None:
    iskander_question(client)
    result = run("picture", "matrix", "--question", MOD, "-o", "m.svg")
    assert result.exit_code == 0, result.output
    assert "wrote m.svg (matrix svg," in result.output
    root = parse_svg((workdir / "m.svg").read_bytes())
    assert QUESTION in svg_text(root)
    result = run("picture", "timeline", "--format", "json", "--verdict", "denied")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["claims"] and {c["verdict"] for c in data["claims"]} == {"denied"}
    result = run("picture", "timeline", "--format", "png", "-o", "t.png")
    assert result.exit_code == 0 and (workdir / "t.png").read_bytes()[:4] == b"\x89PNG"
    result = run(
        "picture", "timeline", "--format", "json", "--base-url", "https://factcheck.example.org"
    )
    assert json.loads(result.stdout)["claims"][0]["url"].startswith(
        "https://factcheck.example.org/claims/"
    )


def test_annotate_picture_refuses_an_unknown_question(
    run: Callable[..., Any], workdir: Path
) -> None:
    before = snapshot(workdir / "fixtures")
    result = run("picture", "matrix", "--question", "no-such-claim", "-o", "m.svg")
    assert result.exit_code == 2
    assert "no question 'no-such-claim'" in result.output
    assert not (workdir / "m.svg").exists()
    assert snapshot(workdir / "fixtures") == before
