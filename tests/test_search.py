"""Full-text search (SQLite FTS5) and suggestions that know polarity, through the API and
the pages: issue 19, points 1 and 2."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from annotate.record import search
from annotate.record.models import Source
from annotate.record.service import Workspace
from bench.corpus import generate
from bench.suggest import Tally, evaluate

from .conftest import DOC_BBC
from .test_reviews import client_of, desk, reviewers_template  # noqa: F401 - fixtures
from .webutil import claim_rows, csrf, make_app, page

KREMLIN = "kremlin-iskanders-not-used"
KREMLIN_AND_MOD = {
    "kremlin-iskanders-not-used",  # Peskov
    "putin-said-iskanders-not-used",
    "ru-mod-no-iskander-used",
    "mod-statement-concerned-iskander-m",
}
OPPOSITES = (
    "He reiterated that Iskander should have been used.",
    '"I disagree with the statements that Iskander was not used by Armenia.',
)
SARGSYAN_DOC = "002_212af70a4bdf495d"


def found(client: Any, q: str, **filters: str) -> list[dict[str, Any]]:
    resp = client.get("/api/claims", query_string={"q": q, **filters})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return list(resp.get_json())


def ids(client: Any, q: str, **filters: str) -> list[str]:
    return [c["id"] for c in found(client, q, **filters)]


def index_file(workdir: Path) -> Path:
    return workdir / "fixtures" / ".annotate-tmp" / "search.sqlite"


# -- search ------------------------------------------------------------------------------


def test_iskander_not_used_finds_the_kremlins_and_the_mods_claims_first(client: Any) -> None:
    listed = found(client, "Iskander not used")
    assert {c["id"] for c in listed[:4]} == KREMLIN_AND_MOD
    assert [c["match"]["rank"] for c in listed] == list(range(1, len(listed) + 1))
    assert all(c["match"]["every"] for c in listed)
    kremlin = next(c for c in listed if c["id"] == KREMLIN)
    assert kremlin["match"]["highlights"]["statement"] == (
        "<mark>Iskander</mark> missile systems were <mark>not</mark> <mark>used</mark> in the "
        "Karabakh war, and this has been confirmed."
    )


def test_the_claims_page_ranks_and_highlights(client: Any) -> None:
    resp = client.get("/claims", query_string={"q": "Iskander not used"})
    assert set(claim_rows(resp)[:4]) == KREMLIN_AND_MOD
    root = page(resp)
    row = root.one("tr", data_claim_row=KREMLIN)
    marks = [m.text() for m in row.find_all("mark")]
    assert {"Iskander", "not", "used"} <= set(marks)
    assert "best match first" in root.one("p", role="status").text()
    # Sorting by a column still works with a query, and keeps the same claims.
    by_id = client.get("/claims", query_string={"q": "Iskander not used", "sort": "id"})
    assert claim_rows(by_id) == sorted(claim_rows(resp))


def test_case_accents_and_word_forms_are_folded(client: Any) -> None:
    assert set(ids(client, "ISKANDERS")) == set(ids(client, "iskander"))
    assert len(ids(client, "iskanders")) > 10  # a substring search found 10
    created = client.post(
        "/api/claims",
        json={
            "statement": "Müller's report says the launches were tracked.",
            "claimant": "Zoë Müller",
            "appearances": [_first_sentence_anchor(client)],
        },
    )
    assert created.status_code == 201, created.get_json()
    cid = created.get_json()["id"]
    assert cid in ids(client, "zoe muller")
    assert cid in ids(client, "launch tracking")


def _first_sentence_anchor(client: Any) -> dict[str, Any]:
    text = client.get(f"/api/documents/{DOC_BBC}").get_json()["text"]
    exact = text[:40]
    return {"doc": DOC_BBC, "start": 0, "end": len(exact), "exact": exact}


def test_a_phrase_in_quotes_is_a_phrase(client: Any) -> None:
    phrase = ids(client, '"should have been used"')
    words = ids(client, "should have been used")
    assert phrase and set(phrase) <= set(words)
    for c in found(client, '"should have been used"'):
        text = json.dumps(c["match"]["highlights"])
        assert "<mark>should have been used</mark>" in text.casefold()  # one mark a phrase


@pytest.mark.parametrize(
    "q",
    [
        '"',
        'Iskander "not',
        "AND",
        "NEAR(",
        "*",
        "a:b",
        "{statement}: x",
        "^x",
        "''",
        "-",
        "OR OR",
        "(((",
        'x" OR "y',
        "iskander NOT used",
        "\\",
        "\x00",
    ],
)
def test_malformed_queries_are_words_never_an_error(client: Any, q: str) -> None:
    assert client.get("/api/claims", query_string={"q": q}).status_code == 200
    assert client.get("/claims", query_string={"q": q}).status_code == 200
    assert client.get("/", query_string={"q": q}).status_code == 200


def test_an_operator_typed_is_a_word(client: Any) -> None:
    # "NOT" is the word not (and its forms), not FTS5's NOT: the same claims as "not".
    assert ids(client, "iskander NOT used") == ids(client, "iskander not used")


def test_when_no_claim_has_every_word_any_of_them_is_enough(client: Any) -> None:
    listed = found(client, "iskander zyxwvut")
    assert listed and not listed[0]["match"]["every"]
    assert {c["id"] for c in listed} == set(ids(client, "iskander"))


def test_the_search_combines_with_the_other_filters(client: Any) -> None:
    every = found(client, "iskander")
    denied = found(client, "iskander", verdict="denied")
    assert denied and {c["id"] for c in denied} < {c["id"] for c in every}
    assert all(c["verdict"] == "denied" for c in denied)
    in_doc = found(client, "iskander", doc=SARGSYAN_DOC)
    assert in_doc and all(any(a["doc"] == SARGSYAN_DOC for a in c["appearances"]) for c in in_doc)
    by = found(client, "iskander", claimant="peskov")
    assert by and all("peskov" in c["claimant"].casefold() for c in by)


def test_saves_and_deletions_are_searched_at_once(client: Any) -> None:
    target = found(client, "Iskander not used")[0]
    resp = client.patch(
        f"/api/claims/{target['id']}",
        json={"statement": "Quokkas were seen near the border."},
        headers={"If-Match": f'"{target["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    assert ids(client, "quokka") == [target["id"]]
    resp = client.delete(
        f"/api/claims/{target['id']}", headers={"If-Match": f'"{resp.get_json()["version"]}"'}
    )
    assert resp.status_code in (200, 204), resp.get_data(as_text=True)
    assert ids(client, "quokka") == []


def test_a_save_by_another_process_is_searched(workdir: Path) -> None:
    """Two apps over one store stand for two `--workers` processes: each learns of the
    other's saves through the store's change log, and searches them."""
    a, b = make_app(workdir).test_client(), make_app(workdir).test_client()
    assert ids(a, "wombat") == [] and ids(b, "wombat") == []
    claim = b.get(f"/api/claims/{KREMLIN}").get_json()
    resp = b.patch(
        f"/api/claims/{KREMLIN}",
        json={"statement": "A wombat was not used in the Karabakh war."},
        headers={"If-Match": f'"{claim["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    assert ids(a, "wombat") == [KREMLIN]
    assert KREMLIN not in ids(a, '"this has been confirmed"')


def test_a_claim_made_or_deleted_by_another_process_is_counted_at_once(workdir: Path) -> None:
    """The count a search gives with no other filter is the database's: a claim another
    process makes or deletes is in it (or out of it) at the next search, and in its list."""
    a, b = make_app(workdir).test_client(), make_app(workdir).test_client()

    def total(client: Any) -> int:
        resp = client.get("/api/claims", query_string={"q": "iskander", "limit": 5})
        return int(resp.headers["X-Total-Count"])

    before = total(a)
    created = b.post(
        "/api/claims",
        json={
            "statement": "An Iskander was seen near the border.",
            "claimant": "A witness",
            "appearances": [_first_sentence_anchor(b)],
        },
    )
    assert created.status_code == 201, created.get_json()
    new = created.get_json()
    assert total(a) == before + 1
    assert new["id"] in ids(a, "iskander seen border")
    resp = b.delete(f"/api/claims/{new['id']}", headers={"If-Match": f'"{new["version"]}"'})
    assert resp.status_code in (200, 204), resp.get_data(as_text=True)
    assert total(a) == before


def test_the_index_is_a_cache_delete_it_or_break_it_and_nothing_is_lost(
    workdir: Path,
) -> None:
    client = make_app(workdir).test_client()
    before = ids(client, "Iskander not used")
    path = index_file(workdir)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM claim_files").fetchone()[0] == 73
    # Deleted: a fresh process builds it again from the files.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert ids(make_app(workdir).test_client(), "Iskander not used") == before
    # Garbage in its place: rebuilt.
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"not a database" * 100)
    assert ids(make_app(workdir).test_client(), "Iskander not used") == before
    # Stale (a claim file changed while no server ran): the signatures tell, it is re-read.
    claim = json.loads((workdir / "fixtures" / f"{KREMLIN}.json").read_text())
    claim["statement"] = "Platypuses were not used."
    (workdir / "fixtures" / f"{KREMLIN}.json").write_text(json.dumps(claim, indent=2) + "\n")
    assert ids(make_app(workdir).test_client(), "platypuses") == [KREMLIN]


def test_the_documents_list_searches_the_texts(client: Any) -> None:
    resp = client.get("/", query_string={"q": '"I disagree"'})
    root = page(resp)
    links = [a.get("href") for a in root.one("table", class_="docs cards").find_all("a")]
    assert links == [f"/documents/{SARGSYAN_DOC}"]
    snippet = root.one("small", data_match="text")
    assert [m.text() for m in snippet.find_all("mark")] == ["I disagree"]
    assert "1 document" in root.one("p", role="status").text()
    none = page(client.get("/", query_string={"q": "zyxwvut"}))
    assert "No document has these words." in none.text()


def test_a_blind_reviewer_does_not_find_claims_by_a_rationale_hidden_from_them(
    desk: Any,  # noqa: F811 - the fixture imported above
) -> None:
    """Under blind review the final rationale of a claim one has not reviewed is hidden:
    searching its words must not find it (nor show it highlighted)."""
    adam, bob = client_of(desk, "adam"), client_of(desk, "bob")
    claim = adam.get(f"/api/claims/{KREMLIN}").get_json()
    rationale_word = "Sargsyan"  # in the rationale, not in statement, claimant, id or quotes
    assert rationale_word in claim["rationale"]
    assert rationale_word not in json.dumps([claim["statement"], claim["appearances"]])
    assert KREMLIN in ids(adam, f"{rationale_word} Karabakh")
    listed = found(bob, f"{rationale_word} Karabakh")
    assert KREMLIN not in [c["id"] for c in listed if c["match"]["every"]]
    shown = page(bob.get("/claims", query_string={"q": rationale_word}))
    assert shown.find("small", data_match="rationale") is None
    # Words that are not hidden still find it, for both.
    assert KREMLIN in ids(bob, "Iskander not used")


# -- suggestions ---------------------------------------------------------------------------


def test_the_opposite_statements_are_candidate_refutations_not_appearances(
    client: Any,
) -> None:
    given = client.get(f"/api/claims/{KREMLIN}/suggestions").get_json()
    refuting = {s["exact"]: s for s in given["refuting"]}
    appearances = {s["exact"] for s in given["appearances"]}
    for text in OPPOSITES:
        assert text in refuting and text not in appearances
        assert refuting[text]["reason"].startswith("says the opposite: “not used” vs")
    assert refuting[OPPOSITES[0]]["reason"] == "says the opposite: “not used” vs “used”"
    # What says the same (Moscow's own words, with "no" and "none") is offered as appearances.
    assert any("no Iskander missiles were used" in s for s in appearances)


def test_the_panel_offers_them_as_refuting_sources_with_the_reason(client: Any) -> None:
    root = page(client.get(f"/claims/{KREMLIN}", headers={"HX-Request": "true"}))
    refuting = root.one("ul", data_suggestions="refuting")
    texts = [b.text() for b in refuting.find_all("blockquote")]
    assert all(t in texts for t in OPPOSITES)
    appearances = root.one("ul", data_suggestions="appearances")
    assert not any(t in [b.text() for b in appearances.find_all("blockquote")] for t in OPPOSITES)
    first = refuting.find_all("li")[texts.index(OPPOSITES[0])]
    assert "says the opposite: “not used” vs “used”" in first.one("span", class_="reason").text()
    form = first.one("form")
    assert form.one("input", name="stance").get("value") == "refutes"
    assert form.one("button").text() == "Cite as refuting"


def test_citing_a_candidate_refutation_adds_a_refuting_source(client: Any) -> None:
    root = page(client.get(f"/claims/{KREMLIN}", headers={"HX-Request": "true"}))
    form = root.one("ul", data_suggestions="refuting").find_all("form")[0]
    data = {i.get("name"): i.get("value") for i in form.find_all("input")}
    data["csrf_token"] = csrf(client)
    before = client.get(f"/api/claims/{KREMLIN}").get_json()
    resp = client.post(str(form.get("action")), data=data, headers={"HX-Request": "true"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    after = client.get(f"/api/claims/{KREMLIN}").get_json()
    assert len(after["sources"]) == len(before["sources"]) + 1
    added = after["sources"][-1]
    assert added["stance"] == "refutes" and added["quote"]["exact"] == data["source_exact"]
    # Cited now: no longer suggested.
    again = client.get(f"/api/claims/{KREMLIN}/suggestions").get_json()
    assert data["source_exact"] not in [s["exact"] for s in again["refuting"]]


def test_suggestions_of_an_unknown_claim_are_404(client: Any) -> None:
    assert client.get("/api/claims/no-such-claim/suggestions").status_code == 404


# -- the benchmark's scoring ------------------------------------------------------------


def test_the_suggestion_benchmark_scores_precision_and_recall() -> None:
    t = Tally()
    t.add([("d", 0, 10), ("d", 20, 30), ("e", 0, 5)], [("d", 5, 8), ("e", 6, 9), ("f", 0, 1)])
    # (d,0,10) overlaps (d,5,8); (e,0,5) does not touch (e,6,9); nothing finds (f,0,1).
    assert (t.suggested, t.right, t.answers, t.found) == (3, 1, 3, 1)
    assert t.precision == pytest.approx(1 / 3) and t.recall == pytest.approx(1 / 3)
    assert Tally().precision is None and Tally().recall is None


def test_the_suggestion_benchmark_on_a_tiny_answer_key(ws: Any) -> None:
    kremlin = ws.claim(KREMLIN)
    docs = tuple((d.id, d.text) for d in ws.corpus.documents())
    # Answer key: the claim's own second appearance, and one of the opposite statements
    # cited as refuting.
    opposite = ws.anchor(ws.find_quote(SARGSYAN_DOC, OPPOSITES[0]), "quote")
    keyed = kremlin.model_copy(
        update={
            "sources": [Source(stance="refutes", quote=opposite)],
            "appearances": kremlin.appearances[:2],
            "reviews": {},
        }
    )
    s = evaluate(docs, [keyed])
    assert s.claims == 1
    assert s.after_refuting.found == 1 and s.after_refuting.answers == 1
    assert s.before_opposites_as_appearances == 1  # the old method offered it as an appearance
    assert s.after_opposites_as_appearances == 0


def test_reindex_builds_the_index_afresh_and_a_running_app_follows(workdir: Path, run: Any) -> None:
    client = make_app(workdir).test_client()
    before = ids(client, "Iskander not used")
    result = run("reindex")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"search index {index_file(workdir).relative_to(workdir)}: 73 claim file(s), "
        "5 document(s)\n"
    )
    assert ids(client, "Iskander not used") == before  # the app opens the new file


def test_serve_builds_a_missing_search_index_at_start_up(workdir: Path) -> None:
    from bench import serving

    path = index_file(workdir)
    assert not path.exists()
    server = serving.start(workdir / "seeds", workdir / "fixtures", reviewer="warm")
    try:
        deadline = time.monotonic() + 60
        counts = (0, 0)
        while counts != (73, 5):
            assert time.monotonic() < deadline, counts
            time.sleep(0.1)
            if path.exists():
                with contextlib.suppress(sqlite3.Error), sqlite3.connect(path) as db:
                    counts = (
                        db.execute("SELECT count(*) FROM claim_files").fetchone()[0],
                        db.execute("SELECT count(*) FROM doc_files").fetchone()[0],
                    )
    finally:
        server.stop()


def test_a_claims_note_and_tags_are_searched(client: Any) -> None:
    """An imported annotation's comment (the claim's note) and its tags are words to find."""
    cid = "9m723-in-russian-service-exclusively"
    current = client.get(f"/api/claims/{cid}").get_json()
    changed = client.patch(
        f"/api/claims/{cid}",
        json={"note": "Ask Konashenkov's office for the briefing.", "tags": ["recheck"]},
        headers={"If-Match": f'"{current["version"]}"'},
    )
    assert changed.status_code == 200, changed.get_json()
    for q in ("konashenkov briefing", "recheck"):
        found = client.get("/api/claims", query_string={"q": q}).get_json()
        assert [c["id"] for c in found][:1] == [cid], q
    page_ = page(client.get("/claims", query_string={"q": "Konashenkov"}))
    assert "Konashenkov" in page_.one("small", data_match="notes").text()


# -- broad queries -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus whose claims come from a few templates: a place or a template's
    phrase matches many claims, scored alike (what a broad query is)."""
    out = tmp_path_factory.mktemp("generated")
    generate(15, 520, out, seed=3)
    return out


def plain_order(db: sqlite3.Connection, q: str, rationale: bool = True) -> list[str]:
    """The claims a query finds, in the documented order worked out the slow, plain way:
    every hit's BM25 from the `rank` column, each tier a set of rows, sorted in Python
    (without `rationale`: searching the other columns, as blind review does)."""
    every = search.fts_query(q)
    assert every is not None

    def rows(within: str, expr: str) -> set[int]:
        sql = "SELECT rowid FROM claim_text WHERE claim_text MATCH ?"
        return {r for (r,) in db.execute(sql, (f"{{{within}}} : ({expr})",))}

    tiers = [rows("statement", every)]
    near, typed = search.near_query(q), search.near_query(q, forms=False)
    if near and typed:
        side = " OR ".join(search._quoted(f"{a} {b}") for a, b in pairwise(search.terms(q)))
        tiers += [rows("quotes", near), rows("statement", near)]
        tiers.append(rows("statement", f"({typed}) AND ({side})"))
    tier = {r: 3 - n for n, found in enumerate(tiers) for r in found}  # the last one wins
    hits = db.execute(
        "SELECT rowid, rank FROM claim_text WHERE claim_text MATCH ?",
        (
            f"{{{' '.join(c for c in search.CLAIM_COLUMNS if rationale or c != 'rationale')}}}"
            f" : ({every})",
        ),
    ).fetchall()
    hits.sort(key=lambda h: (tier.get(h[0], 9), h[1], h[0]))
    names = dict(db.execute("SELECT id, claim_id FROM claim_files"))
    return [names[r] for r, _ in hits]


@pytest.mark.parametrize(
    "q", ["figure given", '"containers were inspected"', "ballot boxes sealed", "not were"]
)
def test_a_broad_querys_order_is_tier_then_bm25_then_file(generated: Path, q: str) -> None:
    """Many claims matching alike (ties broken by the order their files were indexed in):
    the order SQLite works out in one statement is the documented one, and each claim of a
    page far down the list is highlighted."""
    ws = Workspace.open(generated / "seeds", generated / "store")
    assert ws.search is not None
    result = ws.search_claims(q)
    with contextlib.closing(sqlite3.connect(ws.search.path)) as db:
        expected = plain_order(db, q)
    assert len(expected) > 50
    assert [c.id for c in result.claims] == expected
    page = result.claims[50:100]
    marked = result.highlights(page)
    assert set(marked) == {c.id for c in page}
    assert all(search.START in "".join(f.values()) for f in marked.values())


@pytest.mark.parametrize("q", ["Gdańsk", '"containers were inspected"', "figure given"])
def test_without_the_rationales_the_order_is_the_same_rule(generated: Path, q: str) -> None:
    """What a blind reviewer's search runs (the rationales left out) orders by the same
    rule: one term or several."""
    ws = Workspace.open(generated / "seeds", generated / "store")
    assert ws.search is not None
    found = ws.search.claims(q, rationale=False)
    with contextlib.closing(sqlite3.connect(ws.search.path)) as db:
        expected = plain_order(db, q, rationale=False)
    assert len(expected) > 20
    assert found.ids == expected


@pytest.mark.parametrize("rationale", [True, False])
@pytest.mark.parametrize("q", ["iskander", '"not used"', "not", "Iskander not used"])
def test_the_shipped_records_order_is_the_documented_one(
    ws: Workspace, q: str, rationale: bool
) -> None:
    """On the shipped record a word is in some statements and only in the quotes or the
    rationale of other claims: those come after, whichever way the tier is worked out."""
    assert ws.search is not None
    found = ws.search.claims(q, rationale=rationale)
    with contextlib.closing(sqlite3.connect(ws.search.path)) as db:
        expected = plain_order(db, q, rationale=rationale)
        statement_only = search.fts_query(q)
        in_statement = {
            i
            for (i,) in db.execute(
                "SELECT f.claim_id FROM claim_text t JOIN claim_files f ON f.id = t.rowid"
                " WHERE claim_text MATCH ?",
                (f"{{statement}} : ({statement_only})",),
            )
        }
    assert 0 < len(in_statement & set(expected)) < len(expected)  # both kinds found
    assert found.ids == expected


def test_a_claim_saved_is_highlighted_as_it_now_reads(client: Any) -> None:
    """A save gives the claim a new row in the index: its highlights come from that one."""
    claim = client.get(f"/api/claims/{KREMLIN}").get_json()
    resp = client.patch(
        f"/api/claims/{KREMLIN}",
        json={"statement": "Iskander missile systems were not used, quokkas were."},
        headers={"If-Match": f'"{claim["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    (hit,) = found(client, "quokkas")
    assert hit["match"]["highlights"]["statement"] == (
        "Iskander missile systems were not used, <mark>quokkas</mark> were."
    )


def test_the_search_benchmark_times_a_baseline_and_checks_it_shows_the_same(
    tmp_path: Path,
) -> None:
    """`bench.search --baseline` times another version of the search module beside this
    one and says when what they show differs."""
    out = tmp_path / "corpus"
    generate(15, 520, out, seed=3)
    other = tmp_path / "search_other.py"
    code = Path(search.__file__).read_text("utf-8")
    other.write_text(code, "utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.search",
            "--dir",
            str(out),
            "--runs",
            "2",
            "--baseline",
            str(other),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert "Kraków (before)" in done.stdout and "DIFFERENT" not in done.stdout
    # A version that ranks the other way round is told apart.
    other.write_text(code.replace(', claim_text.rowid",', ', claim_text.rowid DESC",'), "utf-8")
    assert ", claim_text.rowid DESC" in other.read_text("utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.search",
            "--dir",
            str(out),
            "--runs",
            "1",
            "--keep",
            "--baseline",
            str(other),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert "DIFFERENT" in done.stdout


def test_every_claim_found_is_highlighted_however_many_the_api_asks_for(app: Any) -> None:
    """`GET /api/claims?q=` highlights every claim it lists: more of them than SQLite takes
    parameters in one statement (32,766; here made 10) are asked for a few at a time."""
    client = app.test_client()
    ws = app.extensions["annotate"]
    assert ws.search is not None
    ws.search.current().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)
    listed = found(client, "iskander")
    assert len(listed) > 20
    assert all("<mark>" in "".join(c["match"]["highlights"].values()) for c in listed)


def test_a_broad_query_fetches_the_summaries_of_the_page_shown_only(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Best first with no other filter, the claims found are counted by the search and a
    page fetches the summaries of its own claims from the store, not those of every hit
    (at 10,000 hits, fetching them all was a fifth of the query's time)."""
    ws = Workspace.open(generated / "seeds", generated / "store")
    assert ws.search is not None
    ws.search.current()
    with contextlib.closing(sqlite3.connect(ws.search.path)) as db:
        expected = plain_order(db, '"containers were inspected"')
    asked: list[int] = []
    fetch = ws.store.summaries_named

    def counted(names: list[str]) -> Any:
        asked.append(len(names))
        return fetch(names)

    monkeypatch.setattr(ws.store, "summaries_named", counted)
    result = ws.search_claims('"containers were inspected"')
    assert len(result.claims) == len(expected) > 50
    assert [c.id for c in result.claims[20:40]] == expected[20:40]
    assert result.claims[-1].id == expected[-1]
    assert asked == [20, 1]
    # A filter, or a sort by another column, looks at every claim found.
    assert [c.id for c in result.claims] == expected
    narrowed = ws.search_claims('"containers were inspected"', verdict="unreviewed")
    assert [c.id for c in narrowed.claims] == [i for i in expected if ws.claim(i).verdict is None]


def test_the_api_pages_through_a_search_as_the_whole_list_orders_it(app: Any) -> None:
    """`GET /api/claims?q=` a page at a time: the pages put together are the whole list,
    in its order, and `X-Total-Count` is its length."""
    client = app.test_client()
    whole = client.get("/api/claims", query_string={"q": "iskander", "limit": 500})
    every = [c["id"] for c in whole.get_json()]
    assert int(whole.headers["X-Total-Count"]) == len(every) > 20
    paged: list[str] = []
    for offset in range(0, len(every) + 10, 10):
        resp = client.get(
            "/api/claims", query_string={"q": "iskander", "offset": offset, "limit": 10}
        )
        assert int(resp.headers["X-Total-Count"]) == len(every)
        got = resp.get_json()
        assert [c["match"]["rank"] for c in got] == list(range(offset + 1, offset + 1 + len(got)))
        paged += [c["id"] for c in got]
    assert paged == every


def test_a_misnamed_copy_of_a_claim_file_is_not_counted_by_a_search(app: Any) -> None:
    """The store does not serve a claim file not named by its id (it reports it): a search
    counts and lists the claim once, as the list without a query does."""
    client = app.test_client()
    before = client.get("/api/claims", query_string={"q": "iskander", "limit": 500})
    ws = app.extensions["annotate"]
    raw = ws.store.path_for(KREMLIN).read_text(encoding="utf-8")
    (ws.store.root / "zz-copy-of-the-kremlins-claim.json").write_text(raw, encoding="utf-8")
    after = client.get("/api/claims", query_string={"q": "iskander", "limit": 500})
    listed = [c["id"] for c in after.get_json()]
    assert listed == [c["id"] for c in before.get_json()] and KREMLIN in listed
    assert int(after.headers["X-Total-Count"]) == len(listed)
    every = client.get("/api/claims", query_string={"limit": 500})
    assert int(every.headers["X-Total-Count"]) == len({c["id"] for c in every.get_json()})
