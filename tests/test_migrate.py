"""Migrating from other tools: a Hypothesis group, a Label Studio project, a doccano project.

The export files are in tests/data/migrate/ in the shapes those tools write (README.md there
names the documentation page each follows; make.py wrote them from the shipped articles).
Every test imports into copies of the shipped corpus and store in tmp_path.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotate.cli import cli
from annotate.formats.matching import page_key
from annotate.record.models import Claim
from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, DOC_BBC, DOC_VENEDIKTOV, ROOT
from .webutil import page

DATA = ROOT / "tests" / "data" / "migrate"
DOC_KNOT, DOC_ALIYEV = "001_ea092f251b0b5650", "003_de1e71ce094deadf"
AZERNEWS_URL = "https://www.azernews.az/nation/176453.html"
ECHO_URL = "https://echo.msk.ru/blog/venediktov/2816532-echo/"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the corpus and the store, to show that nothing was written."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in ("seeds", "fixtures")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


def copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copy(DATA / name, tmp_path / name))


def imported(workdir: Path, before: set[str]) -> list[Claim]:
    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    return [c for c in ws.every_claim() if c.id not in before]


def shipped_ids(workdir: Path) -> set[str]:
    return {p.stem for p in (workdir / "fixtures").glob("*.json")}


def text(workdir: Path, doc: str) -> str:
    return (workdir / "seeds" / f"{doc}.txt").read_text(encoding="utf-8")


def meta(workdir: Path, doc: str) -> dict[str, Any]:
    return json.loads((workdir / "seeds" / f"{doc}.json").read_text(encoding="utf-8"))


@pytest.fixture
def azernews_has_url(workdir: Path, run: Callable[..., Result]) -> None:
    """The AzerNews article knows its canonical url (set through the tool)."""
    result = run("doc", "set", DOC_AZERNEWS, "--url", AZERNEWS_URL)
    assert result.exit_code == 0, result.output


# -- Hypothesis ------------------------------------------------------------------------------


def test_page_key_makes_every_form_of_a_page_one() -> None:
    forms = [
        "https://www.azernews.az/nation/176453.html",
        "http://azernews.az/nation/176453.html/",
        "https://azernews.az/nation/176453.html?utm_source=twitter&utm_medium=social&fbclid=x",
        "https://WWW.AzerNews.az/nation/176453.html#comments",
        "https://amp.azernews.az/nation/176453.html",
        "https://www.azernews.az/amp/nation/176453.html",
        "https://www.azernews.az/nation/176453.html/amp/",
        "https://www.azernews.az/nation/176453.html?amp",
        "https://www.azernews.az/nation/176453.amp.html",
        "https://www.azernews.az:443/nation/176453.html?gclid=abc",
        "https://www-azernews-az.cdn.ampproject.org/c/s/www.azernews.az/nation/176453.html",
    ]
    assert {page_key(u) for u in forms} == {"azernews.az/nation/176453.html"}
    # What names another page stays: the path, and parameters that are not tracking.
    assert page_key("https://azernews.az/nation/176454.html") != page_key(forms[0])
    assert page_key("https://x.example/a?id=1&utm_source=t") == "x.example/a?id=1"
    assert page_key("https://x.example/a?id=1") != page_key("https://x.example/a?id=2")


def test_a_hypothesis_group_lands_in_the_right_places(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, azernews_has_url: None
) -> None:
    before = shipped_ids(workdir)
    result = run(
        "import", "--format", "hypothesis", str(copy("hypothesis-group.json", tmp_path)),
        "--map", f"{ECHO_URL}={DOC_VENEDIKTOV}",
    )  # fmt: skip
    # Two annotations cannot be placed (a quote not in the article, a page note): exit 1.
    assert result.exit_code == 1, result.output
    assert "2 created, 0 replaced, 0 unchanged, 2 not imported" in result.output
    assert (
        "not imported annotation Q9rN2gS4Ee-vD3tOJmPZ2A: target 1: in 002_212af70a4bdf495d: "
        "the quote 'Subscribe to our daily newsletter' is not in the document" in result.output
    )
    assert (
        "not imported annotation Vn0p3gS4Ee-e6U-pSyCkQw: target 1: the target on " in result.output
    )
    claims = {c.appearances[0].doc: c for c in imported(workdir, before)}
    assert set(claims) == {DOC_AZERNEWS, DOC_VENEDIKTOV}

    # The page's ’ against the article's ': placed by the tolerant matching.
    sargsyan = claims[DOC_AZERNEWS]
    (anchor,) = sargsyan.appearances
    exact = "Armenia's other weapons were not fired at Azerbaijani territories"
    assert text(workdir, DOC_AZERNEWS)[anchor.start : anchor.end] == exact == anchor.exact
    assert sargsyan.tags == ["iskander", "Sargsyan", "to verify"]
    assert sargsyan.note is not None
    assert sargsyan.note.startswith("Sargsyan contradicts the MoD here")
    # The reply joins the thread's note, with who said it.
    assert (
        "omar_desk@hypothes.is replied: ANAMA's report of 15 March lists only the Iskander "
        "fragments." in sargsyan.note
    )
    # The annotator made the claim; who imported is the last entry of its history.
    assert sargsyan.created_by == "nadia_checks@hypothes.is"
    first, last = sargsyan.history[0], sargsyan.history[-1]
    assert (first.action, first.by) == ("created", "nadia_checks@hypothes.is")
    assert first.note == "annotated in Hypothesis (Zq8uHAS4Ee-kVJPVNvyq7w), group kDg3nYbq"
    assert (last.action, last.by) == ("imported", "import")
    assert sargsyan.claimant == "unknown"
    assert sargsyan.verdict is None

    # The second 9M723, as prefix and suffix say: not the first, where the position nested
    # under the XPath selector (counted inside its paragraph) would put it.
    venediktov = text(workdir, DOC_VENEDIKTOV)
    second = venediktov.index("9M723", venediktov.index("9M723") + 1)
    marking = claims[DOC_VENEDIKTOV]
    assert (marking.appearances[0].start, marking.appearances[0].end) == (second, second + 5)
    assert marking.tags == ["9M723", "iskander"]
    assert marking.created_by == "omar_desk@hypothes.is"

    # Aliases: the URLs the pages are known by that their documents did not have.
    assert meta(workdir, DOC_AZERNEWS)["aliases"] == [
        "https://www.azernews.az/news.php?news_id=176453&cat=nation"
    ]
    assert meta(workdir, DOC_VENEDIKTOV)["aliases"] == [
        "https://echo.msk.ru/amp/blog/venediktov/2816532-echo/?amp=1&utm_campaign=share"
    ]
    assert (
        f"recorded alias of {DOC_AZERNEWS}: "
        "https://www.azernews.az/news.php?news_id=176453&cat=nation" in result.output
    )


def test_once_aliases_are_recorded_the_next_export_needs_no_map(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, azernews_has_url: None
) -> None:
    group = copy("hypothesis-group.json", tmp_path)
    run("import", "--format", "hypothesis", str(group), "--map", f"{ECHO_URL}={DOC_VENEDIKTOV}")
    # A later annotation of the AMP copy, quoted from the same page: found by the alias.
    rows = json.loads(group.read_text(encoding="utf-8"))["rows"]
    later = {**rows[2], "id": "later-annotation-1", "text": "Once more."}
    again = run("import", "--format", "hypothesis", str(_write(tmp_path / "later.json", [later])))
    assert again.exit_code == 0, again.output
    assert "1 created" in again.output


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_without_a_url_or_a_map_the_report_says_how_to_match_the_page(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = snapshot(workdir)
    result = run("import", "--format", "hypothesis", str(copy("hypothesis-group.json", tmp_path)))
    assert result.exit_code == 1
    assert (
        "not imported annotation x2Lq4AUFEe-6TzcBBm-Vrg: target 1: source "
        "https://echo.msk.ru/amp/blog/venediktov/2816532-echo/?amp=1&utm_campaign=share is not "
        "a document of the corpus (give the document its url with `annotate doc set ID --url "
        "URL`, or map it with --map URL=DOC)" in result.output
    )
    assert "0 created" in result.output
    assert snapshot(workdir) == before


@pytest.mark.parametrize(
    ("maps", "message"),
    [
        (["https://echo.msk.ru/x"], "--map 'https://echo.msk.ru/x': give it as URL=DOCUMENT-ID"),
        ([f"{ECHO_URL}=no-such-doc"], f"--map '{ECHO_URL}=no-such-doc': no document 'no-such-doc'"),
        ([f"echo.msk.ru={DOC_BBC}"], "'echo.msk.ru' is not an http:// or https:// URL"),
        (
            [
                f"{ECHO_URL}={DOC_BBC}",
                f"http://echo.msk.ru/blog/venediktov/2816532-echo={DOC_KNOT}",
            ],
            f"is mapped to both '{DOC_BBC}' and '{DOC_KNOT}'",
        ),
    ],
)
def test_a_wrong_map_refuses_the_import_and_changes_nothing(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, maps: list[str], message: str
) -> None:
    before = snapshot(workdir)
    options = [x for m in maps for x in ("--map", m)]
    group = str(copy("hypothesis-group.json", tmp_path))
    result = run("import", "--format", "hypothesis", group, *options)
    assert result.exit_code == 1
    assert message in result.output and "nothing was imported" in result.output
    assert snapshot(workdir) == before


def test_a_dry_run_of_a_group_reports_the_aliases_and_writes_nothing(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, azernews_has_url: None
) -> None:
    before = snapshot(workdir)
    group = str(copy("hypothesis-group.json", tmp_path))
    result = run(
        "import", "--format", "hypothesis", group, "--dry-run",
        "--map", f"{ECHO_URL}={DOC_VENEDIKTOV}",
    )  # fmt: skip
    assert "would record alias of 004_da7503a316cb05c0: https://echo.msk.ru/amp/" in result.output
    assert "2 would create" not in result.output and "(dry run: nothing written)" in result.output
    assert snapshot(workdir) == before


def test_the_claimant_option_names_the_claimant_the_annotations_do_not(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, azernews_has_url: None
) -> None:
    before = shipped_ids(workdir)
    group = str(copy("hypothesis-group.json", tmp_path))
    run("import", "--format", "hypothesis", group, "--claimant", "Serzh Sargsyan")
    (claim,) = imported(workdir, before)
    assert claim.claimant == "Serzh Sargsyan"


def test_comments_and_tags_are_shown_filtered_and_exported(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, azernews_has_url: None, client: Any
) -> None:
    before = shipped_ids(workdir)
    run("import", "--format", "hypothesis", str(copy("hypothesis-group.json", tmp_path)))
    (claim,) = imported(workdir, before)
    page = client.get(f"/claims/{claim.id}", follow_redirects=True).get_data(as_text=True)
    assert "Sargsyan contradicts the MoD here" in page
    assert 'href="/claims?tag=to+verify"' in page
    listed = client.get("/claims?tag=to+verify").get_data(as_text=True)
    assert f'data-claim-row="{claim.id}"' in listed
    assert listed.count("data-claim-row=") == 1
    api = client.get("/api/claims?tag=SARGSYAN").get_json()
    assert [c["id"] for c in api] == [claim.id]
    assert client.get("/api/claims?tag=nothing-tagged-so").get_json() == []
    data = json.loads(run("export", "--format", "json").output)
    (exported,) = [c for c in data["claims"] if c["id"] == claim.id]
    assert exported["tags"] == ["iskander", "Sargsyan", "to verify"]
    assert exported["note"].startswith("Sargsyan contradicts")
    w3c = json.loads(run("export", "--format", "w3c").output)
    (anno,) = [a for a in w3c["first"]["items"] if a["id"].endswith(f"/{claim.id}")]
    bodies = {(b.get("purpose"), b.get("value")) for b in anno["body"]}
    assert ("tagging", "to verify") in bodies
    assert any(p == "commenting" and v.startswith("Sargsyan contradicts") for p, v in bodies)
    csv = run("export", "--format", "csv").output
    assert "iskander, Sargsyan, to verify" in csv


def test_tags_and_note_are_edited_through_the_api(client: Any, workdir: Path) -> None:
    current = client.get("/api/claims/9m723-in-russian-service-exclusively").get_json()
    headers = {"If-Match": f'"{current["version"]}"'}
    answer = client.patch(
        "/api/claims/9m723-in-russian-service-exclusively",
        json={"tags": ["mod", "Konashenkov"], "note": "Ask the MoD for the February briefing."},
        headers=headers,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["tags"] == ["mod", "Konashenkov"]
    assert answer.get_json()["note"] == "Ask the MoD for the February briefing."
    again = {"If-Match": answer.headers["ETag"]}
    bad = client.patch(
        "/api/claims/9m723-in-russian-service-exclusively", json={"tags": ["a", "A"]}, headers=again
    )
    assert bad.status_code == 422
    assert bad.get_json()["details"][0]["field"] == "tags"
    assert bad.get_json()["details"][0]["message"] == "'A' is listed twice"


# -- Label Studio -----------------------------------------------------------------------------


def test_an_unmapped_label_refuses_the_import_naming_it(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = snapshot(workdir)
    result = run(
        "import", "--format", "labelstudio", str(copy("labelstudio-export.json", tmp_path))
    )
    assert result.exit_code == 1
    assert (
        "labels not mapped: 'FALSE' (2 spans), 'Misleading' (1 span); say what each stands for "
        "with --label-map LABEL=TARGET (confirmed, denied, disputed, claim, ignore); nothing "
        "was imported" in result.output
    )
    assert snapshot(workdir) == before


def test_a_label_studio_project_lands_in_the_right_places(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = shipped_ids(workdir)
    result = run(
        "import", "--format", "labelstudio", str(copy("labelstudio-export.json", tmp_path)),
        "--label-map", "FALSE=denied", "--label-map", "Misleading=claim",
    )  # fmt: skip
    # Task 103's text is not in the corpus: reported, its spans not imported.
    assert result.exit_code == 1, result.output
    assert (
        "not imported task 103: its text is not a document of the corpus (add it with "
        "--add-documents" in result.output
    )
    claims = imported(workdir, before)
    by_statement = {c.statement: c for c in claims}
    assert len(claims) == 4
    aliyev = text(workdir, DOC_ALIYEV)
    for c in claims:
        (a,) = c.appearances
        assert text(workdir, a.doc)[a.start : a.end] == a.exact
    waiting = by_statement["Baku is still waiting for a response from Yerevan"]
    assert waiting.appearances[0].doc == DOC_ALIYEV
    assert waiting.tags == ["Claim"] and waiting.verdict is None
    assert waiting.created_by == "user 3"
    # A verdict label: an unreviewed claim, its label a tag, the verdict it suggests noted.
    denied = by_statement["the Iskander-M missile systems were not used during the conflict"]
    assert denied.verdict is None and denied.tags == ["FALSE"]
    assert (
        denied.note is not None
        and "Labelled 'FALSE' (denied) by user 3 in Label Studio" in denied.note
    )
    assert f"unreviewed {denied.id}: labelled 'FALSE' (denied) by user 3" in result.output
    # The fourth Iskander of the Aliyev article, by its offsets.
    fourth = [i for i in range(len(aliyev)) if aliyev.startswith("Iskander", i)][3]
    misleading = next(c for c in claims if c.tags == ["Misleading"])
    assert misleading.appearances[0].start == fourth
    # The CRLF copy of the Caucasian Knot article: the same article once normalised; the
    # third Iskander, found by its context although the offsets count CRs.
    knot = text(workdir, DOC_KNOT)
    third = [i for i in range(len(knot)) if knot.startswith("Iskander", i)][2]
    crlf = next(c for c in claims if c.appearances[0].doc == DOC_KNOT)
    assert crlf.appearances[0].start == third
    assert crlf.created_by == "user 4"


def test_add_documents_adds_the_texts_the_corpus_lacks(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = shipped_ids(workdir)
    result = run(
        "import", "--format", "labelstudio", str(copy("labelstudio-export.json", tmp_path)),
        "--label-map", "FALSE=denied", "--label-map", "Misleading=ignore", "--add-documents",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 span of ignored labels left out" in result.output
    added = "pashinyan-iskanders-fired-but-did-not-explode"
    assert (
        f"added document {added}: 'Pashinyan: Iskanders fired but did not explode' (task 103)"
        in result.output
    )
    assert meta(workdir, added)["url"] == "https://news.example.am/2021/02/23/pashinyan-iskander"
    new = [c for c in imported(workdir, before) if c.appearances[0].doc == added]
    assert [c.statement for c in new] == ["exploded only ten percent of them"]
    assert len(imported(workdir, before)) == 4
    # Importing again changes nothing: the same ids, the document found by its text.
    again = run(
        "import", "--format", "labelstudio", str(tmp_path / "labelstudio-export.json"),
        "--label-map", "FALSE=denied", "--label-map", "Misleading=ignore", "--add-documents",
    )  # fmt: skip
    assert again.exit_code == 0 and "0 created, 0 replaced, 4 unchanged" in again.output
    assert "added document" not in again.output


def test_a_span_whose_text_disagrees_with_its_offsets_is_placed_by_its_text(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    aliyev = text(workdir, DOC_ALIYEV)
    exact = "Baku is waiting for an official response from Yerevan"
    at = aliyev.index(exact)
    task = {
        "id": 1,
        "data": {"text": aliyev},
        "annotations": [
            {
                "completed_by": {"id": 3, "email": "lena@desk.example"},
                "result": [
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {
                            "start": at + 7,
                            "end": at + 7 + len(exact),
                            "text": exact,
                            "labels": ["claim"],
                        },
                    },
                    {
                        "type": "labels",
                        "from_name": "label",
                        "to_name": "text",
                        "value": {"start": 10**6, "end": 10**6 + 4, "labels": ["claim"]},
                    },
                ],
            }
        ],
    }
    before = shipped_ids(workdir)
    result = run("import", "--format", "labelstudio", str(_write(tmp_path / "t.json", [task])))
    assert result.exit_code == 1
    assert "not imported task 1 result 1.2: label 'claim': offsets 1000000-1000004" in result.output
    (claim,) = imported(workdir, before)
    assert claim.appearances[0].start == at
    assert claim.created_by == "lena@desk.example"


# -- doccano ----------------------------------------------------------------------------------


def test_a_doccano_project_lands_in_the_right_places(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    before = shipped_ids(workdir)
    result = run(
        "import", "--format", "doccano", str(copy("doccano-export.jsonl", tmp_path)),
        "--label-map", "PER=ignore",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    claims = {c.appearances[0].doc: c for c in imported(workdir, before)}
    assert set(claims) == {DOC_BBC, DOC_AZERNEWS}
    bbc = claims[DOC_BBC]
    assert bbc.statement == "Iskander" and bbc.tags == ["CLAIM"]
    assert bbc.appearances[0].start == text(workdir, DOC_BBC).index("Iskander")
    assert bbc.note == "first mention: check the variant"
    az = claims[DOC_AZERNEWS]
    assert az.statement == "Iskander should have been used" and az.tags == ["DISPUTED"]
    assert az.verdict is None and "disputed" in (az.note or "")
    assert "1 span of ignored labels left out" in result.output


def test_a_doccano_file_that_is_not_json_lines_is_refused_naming_the_line(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": []}\n{"text": \n', encoding="utf-8")
    before = snapshot(workdir)
    result = run("import", "--format", "doccano", str(path))
    assert result.exit_code == 1
    assert "bad.jsonl: line 2: the file is not valid JSON" in result.output
    assert snapshot(workdir) == before


def test_label_options_are_only_for_span_labels(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    group = str(copy("hypothesis-group.json", tmp_path))
    result = run("import", "--format", "hypothesis", group, "--label-map", "A=claim")
    assert result.exit_code == 1
    assert "--label-map and --add-documents are for span labels" in result.output
    tasks = str(copy("labelstudio-export.json", tmp_path))
    result = run("import", "--format", "labelstudio", tasks, "--label-map", "A=verdict")
    assert "--label-map 'A=verdict': give it as LABEL=TARGET" in result.output


def test_a_position_refining_another_selector_is_not_a_document_position(
    workdir: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    """A W3C annotation of another tool: its TextPositionSelector refines an XPathSelector
    (it counts inside that paragraph) and falls on the first 9M723; the quote's context is
    the second's."""
    venediktov = text(workdir, DOC_VENEDIKTOV)
    first = venediktov.index("9M723")
    second = venediktov.index("9M723", first + 1)
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "https://annotations.example/anno/41",
        "type": "Annotation",
        "body": {"type": "TextualBody", "purpose": "commenting", "value": "The marking."},
        "target": {
            "source": f"https://mirror.example/{DOC_VENEDIKTOV}.txt",
            "selector": [
                {
                    "type": "XPathSelector",
                    "value": "/html/body/p[3]",
                    "refinedBy": {"type": "TextPositionSelector", "start": first, "end": first + 5},
                },
                {
                    "type": "TextQuoteSelector",
                    "exact": "9M723",
                    "prefix": venediktov[second - 32 : second],
                    "suffix": venediktov[second + 5 : second + 37],
                },
            ],
        },
    }
    before = shipped_ids(workdir)
    result = run("import", "--format", "w3c", str(_write(tmp_path / "a.json", annotation)))
    assert result.exit_code == 0, result.output
    (claim,) = imported(workdir, before)
    assert claim.appearances[0].start == second
    assert claim.note == "The marking."


def test_tags_and_note_round_trip_through_the_w3c_export(
    workdir: Path, run: Callable[..., Result], tmp_path: Path, client: Any
) -> None:
    claim_url = "/api/claims/9m723-in-russian-service-exclusively"
    version = client.get(claim_url).get_json()["version"]
    changed = client.patch(
        claim_url,
        json={"tags": ["marking", "9M723"], "note": "Compare 9M723E.\n\nAsk ANAMA."},
        headers={"If-Match": f'"{version}"'},
    )
    assert changed.status_code == 200
    exported = tmp_path / "w3c.jsonld"
    assert run("export", "--format", "w3c", "-o", str(exported)).exit_code == 0
    other = tmp_path / "other-store"
    other.mkdir()
    result = run("import", "--format", "w3c", "--store", str(other), str(exported))
    assert result.exit_code == 0, result.output
    back = Workspace.open(workdir / "seeds", other).claim("9m723-in-russian-service-exclusively")
    assert back.tags == ["marking", "9M723"]
    assert back.note == "Compare 9M723E.\n\nAsk ANAMA."


def test_the_merge_driver_joins_tags_given_on_two_lines_of_work(
    workdir: Path, tmp_path: Path
) -> None:
    """Two desks tag the same claim on two branches: the merge keeps both sides' tags."""
    original = json.loads(
        (workdir / "fixtures" / "9m723-in-russian-service-exclusively.json").read_text()
    )
    sides = {}
    for name, tags in (("ours", ["marking"]), ("theirs", ["9M723", "marking"])):
        data = {**original, "tags": tags, "version": original["version"] + 1}
        sides[name] = _write(tmp_path / f"{name}.json", data)
    base = _write(tmp_path / "base.json", original)
    done = CliRunner().invoke(
        cli, ["merge-driver", str(base), str(sides["ours"]), str(sides["theirs"]), "x"]
    )
    assert done.exit_code == 0, done.output
    merged = json.loads(sides["ours"].read_text())
    assert merged["tags"] == ["marking", "9M723"]
    assert "conflicts" not in merged


def test_a_documents_other_addresses_are_shown_and_edited_in_its_details_form(
    client: Any, workdir: Path
) -> None:
    root = page(client.get(f"/documents/{DOC_BBC}/edit"))
    form = root.one("form", data_form="doc-meta")
    fields = {i.get("name"): i.get("value") or "" for i in form.find_all("input") if i.get("name")}
    fields["notes"] = form.one("textarea", name="notes").text()
    assert form.one("textarea", name="aliases").text() == ""
    fields["aliases"] = "https://www.bbc.com/ukrainian/amp/56640000\n\nnot a url\n"
    refused = client.post(f"/documents/{DOC_BBC}/meta", data=fields)
    assert refused.status_code == 422
    assert any(
        "aliases[1]" in li.text() for li in page(refused).one(id="meta-errors").find_all("li")
    )
    assert "aliases" not in meta(workdir, DOC_BBC)
    fields["aliases"] = "https://www.bbc.com/ukrainian/amp/56640000\nhttps://bbc.in/3fKx9"
    assert client.post(f"/documents/{DOC_BBC}/meta", data=fields).status_code == 303
    assert meta(workdir, DOC_BBC)["aliases"] == [
        "https://www.bbc.com/ukrainian/amp/56640000",
        "https://bbc.in/3fKx9",
    ]
    again = page(client.get(f"/documents/{DOC_BBC}/edit")).one("textarea", name="aliases")
    assert again.text() == "https://www.bbc.com/ukrainian/amp/56640000\nhttps://bbc.in/3fKx9"


@pytest.mark.parametrize("tag", ["mod, briefing", "mod\nbriefing", "mod\rbriefing"])
def test_a_tag_with_a_comma_or_a_line_break_is_refused_naming_it(client: Any, tag: str) -> None:
    """Tags are typed and exported comma-separated, one line: neither may be in a tag."""
    cid = "9m723-in-russian-service-exclusively"
    current = client.get(f"/api/claims/{cid}").get_json()
    answer = client.patch(
        f"/api/claims/{cid}",
        json={"tags": ["ok", tag]},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert answer.status_code == 422
    problem = answer.get_json()["details"][0]
    assert problem["field"].startswith("tags")
    assert problem["message"] == "a tag has no comma and no line break"
    assert client.get(f"/api/claims/{cid}").get_json()["version"] == current["version"]
