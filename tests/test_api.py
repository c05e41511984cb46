"""The HTTP JSON API (DESIGN.md, "HTTP JSON API"), through the Flask test client."""

from __future__ import annotations

import errno
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from annotate.record.service import Workspace

from .conftest import DOC_AZERNEWS, DOC_BBC, DOC_IDS, quote
from .webutil import make_app, seed_text, snapshot

SHIPPED = 73
EXISTING = "aliyev-called-putin-about-marking"
EXACT = "Two missiles fired on Shusha"
SUPPORT = "Former Armenian President Serzh Sargsyan has admitted"
MISSING = object()


def shipped() -> list[dict[str, Any]]:
    """The shipped claims, read from the files (independently of the app)."""
    root = Path(__file__).resolve().parent.parent / "fixtures"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(root.glob("*.json"))]


def new_claim_body(ws: Workspace, **over: Any) -> dict[str, Any]:
    body = {
        "statement": "Two missiles were fired on Shusha",
        "claimant": "ANAMA",
        "claim_date": "2021-03-15",
        "appearances": [quote(ws, DOC_BBC, EXACT)],
    }
    body.update(over)
    return body


@pytest.fixture
def created(client: Any, ws: Workspace) -> dict[str, Any]:
    """A new unreviewed claim made through the API (version 1)."""
    resp = client.post("/api/claims", json=new_claim_body(ws))
    assert resp.status_code == 201, resp.get_json()
    data: dict[str, Any] = resp.get_json()
    return data


def test_answers_are_compact_json_with_sorted_keys_in_utf_8(client: Any, workdir: Path) -> None:
    """The API's JSON (orjson, `web/app.py`): what Flask's own encoder gives, but with the
    characters beyond ASCII as UTF-8; dates and numbers orjson does not take as Flask
    gives them."""
    from datetime import date

    body = client.get("/api/claims/aliyev-called-putin-about-marking").get_data()
    data = json.loads(body)
    assert any(ord(ch) > 127 for ch in json.dumps(data, ensure_ascii=False))
    expected = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body == (expected + "\n").encode()
    # The lists are encoded a claim at a time (`FastJSON.array`): the same bytes.
    for path in ("/api/claims?limit=5", "/api/claims?q=iskander&limit=3", "/api/claims?q=zzzz"):
        listed = client.get(path).get_data()
        assert listed.decode() == (
            json.dumps(
                json.loads(listed), sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            + "\n"
        ), path
    app = make_app(workdir)
    with app.app_context():
        odd = app.json.response({"day": date(2021, 2, 26), "big": 2**70, "b": 1}).get_data()
        items = app.json.array(iter([{"big": 2**70}, {"day": date(2021, 2, 26)}])).get_data()
        assert app.json.array(iter([])).get_data() == b"[]\n"
    assert json.loads(odd) == {"b": 1, "big": 2**70, "day": "Fri, 26 Feb 2021 00:00:00 GMT"}
    assert json.loads(items) == [{"big": 2**70}, {"day": "Fri, 26 Feb 2021 00:00:00 GMT"}]


@pytest.mark.parametrize(
    ("statement", "stem"),
    [
        ("Міноборони України заявило про 44 дні", "minoboroni-ukraini-zayavilo-pro-44-dni"),
        (
            "Søren Østergaard counted 63,520 boxes",
            "soren-ostergaard-counted-63-520-boxes",
        ),
        ("Straße gesperrt, sagt Łódź", "strasse-gesperrt-sagt-lodz"),
    ],
)
def test_a_new_claim_s_id_spells_its_statement_s_letters_in_ascii(
    client: Any, ws: Workspace, statement: str, stem: str
) -> None:
    """Letters without an accent to strip (Ø, ł, ß, Cyrillic) are transliterated, not
    dropped: a Ukrainian statement had given an id of digits and hyphens."""
    resp = client.post("/api/claims", json=new_claim_body(ws, statement=statement))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["id"] == stem


@pytest.mark.parametrize(
    ("statement", "stem"),
    [
        # The id: seven words ended on "the".
        (
            "The missile launch at Shusha was the work of Armenian forces",
            "the-missile-launch-at-shusha",
        ),
        # Sixty characters fell inside "Nagorno-Karabakh"'s second word.
        (
            "Representatives acknowledged extraordinarily controversial Nagorno-Karabakh talks",
            "representatives-acknowledged-extraordinarily-controversial",
        ),
        ("Two missiles were fired on Shusha", "two-missiles-were-fired-on-shusha"),
    ],
)
def test_a_new_claim_s_id_is_cut_between_words_and_not_on_a_dangling_word(
    client: Any, ws: Workspace, statement: str, stem: str
) -> None:
    resp = client.post("/api/claims", json=new_claim_body(ws, statement=statement))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["id"] == stem
    assert len(stem) <= 60


def test_a_taken_id_s_suffixed_form_is_cut_between_words_too(client: Any, ws: Workspace) -> None:
    statement = "Representatives acknowledged extraordinarily controversial talks in Baku"
    first = client.post("/api/claims", json=new_claim_body(ws, statement=statement)).get_json()
    second = client.post("/api/claims", json=new_claim_body(ws, statement=statement)).get_json()
    assert first["id"] == "representatives-acknowledged-extraordinarily-controversial"
    stem, _, suffix = second["id"].rpartition("-")
    assert stem == "representatives-acknowledged-extraordinarily" and len(suffix) == 6
    assert len(second["id"]) <= 60


def test_the_shipped_ids_stay_as_they_are(client: Any) -> None:
    """Ids are stable: a better cut is for new claims only, none of the shipped ones moves."""
    ids = [c["id"] for c in client.get("/api/claims").get_json()]
    assert ids == [c["id"] for c in shipped()]


def error_fields(resp: Any) -> list[str]:
    """The fields named by an API error, after checking the error shape."""
    assert resp.mimetype == "application/json", resp.mimetype
    body = resp.get_json()
    assert set(body) >= {"error", "details"}, body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], list)
    for d in body["details"]:
        assert set(d) >= {"field", "message"}, d
    return [d["field"] for d in body["details"]]


def supporting(ws: Workspace) -> dict[str, Any]:
    return {"stance": "supports", "quote": quote(ws, DOC_AZERNEWS, SUPPORT)}


def refuting_url() -> dict[str, Any]:
    return {"stance": "refutes", "url": "https://example.org/refutation", "title": "Refutation"}


# -- documents -----------------------------------------------------------------------------


def test_the_document_list_gives_id_sha256_length_and_title_of_each_seed(
    client: Any, workdir: Path
) -> None:
    import hashlib

    resp = client.get("/api/documents")
    assert resp.status_code == 200
    docs = resp.get_json()
    assert [d["id"] for d in docs] == DOC_IDS
    for d in docs:
        raw = (workdir / "seeds" / f"{d['id']}.txt").read_bytes()
        meta = json.loads((workdir / "seeds" / f"{d['id']}.json").read_text(encoding="utf-8"))
        assert d["sha256"] == hashlib.sha256(raw).hexdigest()
        assert d["length"] == len(raw.decode("utf-8"))
        assert d["title"] == meta["title"]
        assert "text" not in d


def test_a_document_is_served_with_its_text_byte_for_byte(client: Any, workdir: Path) -> None:
    for doc in DOC_IDS:
        resp = client.get(f"/api/documents/{doc}")
        assert resp.status_code == 200
        data = resp.get_json()
        assert data["id"] == doc
        assert data["text"] == seed_text(workdir, doc)
        assert data["length"] == len(data["text"])


def test_an_unknown_document_is_a_json_404(client: Any) -> None:
    resp = client.get("/api/documents/no-such-doc")
    assert resp.status_code == 404
    error_fields(resp)
    assert "no-such-doc" in resp.get_json()["error"]


# -- listing and filters ---------------------------------------------------------------------


def ids(resp: Any) -> list[str]:
    assert resp.status_code == 200
    return [c["id"] for c in resp.get_json()]


def test_every_shipped_claim_is_listed_sorted_by_id_without_history(client: Any) -> None:
    resp = client.get("/api/claims")
    data = resp.get_json()
    assert len(data) == SHIPPED
    assert [c["id"] for c in data] == sorted(c["id"] for c in shipped())
    by_id = {c["id"]: c for c in shipped()}
    for c in data:
        assert "history" not in c
        assert c["version"] == by_id[c["id"]]["version"]
        assert c["verdict"] == by_id[c["id"]]["verdict"]


@pytest.mark.parametrize("doc", DOC_IDS)
def test_the_doc_filter_lists_the_claims_appearing_in_that_document(client: Any, doc: str) -> None:
    expected = sorted(c["id"] for c in shipped() if any(a["doc"] == doc for a in c["appearances"]))
    assert expected
    assert ids(client.get(f"/api/claims?doc={doc}")) == expected


@pytest.mark.parametrize("verdict", ["confirmed", "denied", "disputed"])
def test_the_verdict_filter_lists_the_claims_with_that_verdict(client: Any, verdict: str) -> None:
    expected = sorted(c["id"] for c in shipped() if c.get("verdict") == verdict)
    assert expected
    assert ids(client.get(f"/api/claims?verdict={verdict}")) == expected


def test_the_unreviewed_filter_lists_only_claims_without_a_verdict(
    client: Any, created: dict[str, Any]
) -> None:
    assert ids(client.get("/api/claims?verdict=unreviewed")) == [created["id"]]
    assert created["id"] not in ids(client.get("/api/claims?verdict=confirmed"))


@pytest.mark.parametrize("needle", ["aliyev", "ANAMA", "bbc news"])
def test_the_claimant_filter_matches_part_of_the_claimant_ignoring_case(
    client: Any, needle: str
) -> None:
    expected = sorted(c["id"] for c in shipped() if needle.casefold() in c["claimant"].casefold())
    assert expected
    assert ids(client.get("/api/claims", query_string={"claimant": needle})) == expected


@pytest.mark.parametrize("needle", ["9M723", "iskander-e", "ceasefire", "Putin"])
def test_the_text_filter_searches_statement_claimant_rationale_and_quotes(
    client: Any, needle: str
) -> None:
    def hay(c: dict[str, Any]) -> str:
        parts = [c["id"], c["statement"], c["claimant"], c.get("rationale") or ""]
        parts += [a["exact"] for a in c["appearances"]]
        return "\n".join(parts).casefold()

    word = re.compile(rf"(?<!\w){re.escape(needle.casefold())}s?(?!\w)")
    expected = sorted(c["id"] for c in shipped() if word.search(hay(c)))
    assert expected
    assert len(expected) < SHIPPED
    # Words, not substrings, since the search is FTS5; these needles are whole words.
    assert sorted(ids(client.get("/api/claims", query_string={"q": needle}))) == expected


def test_filters_combine(client: Any) -> None:
    expected = sorted(
        c["id"]
        for c in shipped()
        if c.get("verdict") == "disputed" and any(a["doc"] == DOC_BBC for a in c["appearances"])
    )
    assert expected
    got = ids(client.get("/api/claims", query_string={"verdict": "disputed", "doc": DOC_BBC}))
    assert got == expected


# -- creating ------------------------------------------------------------------------------


def test_creating_a_claim_answers_201_with_location_etag_and_server_made_context(
    client: Any, ws: Workspace, store: Path, workdir: Path
) -> None:
    resp = client.post("/api/claims", json=new_claim_body(ws))
    assert resp.status_code == 201
    claim = resp.get_json()
    assert resp.headers["ETag"] == '"1"'
    assert resp.headers["Location"].endswith(f"/api/claims/{claim['id']}")
    assert claim["version"] == 1
    assert claim["statement"] == "Two missiles were fired on Shusha"
    assert claim["claimant"] == "ANAMA"
    assert claim["claim_date"] == "2021-03-15"
    assert "verdict" not in claim
    text = seed_text(workdir, DOC_BBC)
    start = text.index(EXACT)
    (a,) = claim["appearances"]
    assert (a["doc"], a["start"], a["end"], a["exact"]) == (
        DOC_BBC,
        start,
        start + len(EXACT),
        EXACT,
    )
    assert a["prefix"] == text[start - 32 : start]
    assert a["suffix"] == text[start + len(EXACT) : start + len(EXACT) + 32]
    path = store / f"{claim['id']}.json"
    assert path.is_file()
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["history"][0]["action"] == "created"
    assert on_disk["history"][0]["by"] == "tester"
    assert on_disk["created_by"] == "tester"
    assert client.get(resp.headers["Location"]).get_json() == claim


def test_client_sent_prefix_and_suffix_must_agree_with_the_servers(
    client: Any, ws: Workspace, workdir: Path, store: Path
) -> None:
    # Read-only context: a shorter end of the server's prefix (start of its suffix) agrees;
    # a context of other words is named, and nothing is written.
    text = seed_text(workdir, DOC_BBC)
    given = quote(ws, DOC_BBC, EXACT)
    start, end = int(given["start"]), int(given["end"])  # type: ignore[call-overload]
    near = {**given, "prefix": text[start - 5 : start], "suffix": text[end : end + 5]}
    resp = client.post("/api/claims", json=new_claim_body(ws, appearances=[near]))
    assert resp.status_code == 201
    a = resp.get_json()["appearances"][0]
    assert a["prefix"] == text[a["start"] - 32 : a["start"]]
    assert a["suffix"] == text[a["end"] : a["end"] + 32]
    before = snapshot(store)
    anchor = {**given, "prefix": "lies", "suffix": "more lies"}
    refused = client.post("/api/claims", json=new_claim_body(ws, appearances=[anchor]))
    assert refused.status_code == 422
    fields = [d["field"] for d in refused.get_json()["details"]]
    assert fields == ["appearances[0].prefix", "appearances[0].suffix"]
    assert "read-only" in refused.get_json()["error"]
    assert snapshot(store) == before


def test_a_quote_that_is_not_at_its_offsets_is_refused_and_nothing_is_written(
    client: Any, ws: Workspace, store: Path
) -> None:
    before = snapshot(store)
    anchor = quote(ws, DOC_BBC, EXACT)
    anchor["start"] += 1
    anchor["end"] += 1
    resp = client.post("/api/claims", json=new_claim_body(ws, appearances=[anchor]))
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[0].exact"]
    assert snapshot(store) == before


def test_a_quote_over_1000_characters_is_refused_as_appearance_and_as_source(
    client: Any, ws: Workspace, store: Path
) -> None:
    text = ws.corpus.get(DOC_BBC).text
    long = {"doc": DOC_BBC, "start": 0, "end": 1001, "exact": text[:1001]}
    before = snapshot(store)
    resp = client.post("/api/claims", json=new_claim_body(ws, appearances=[long]))
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[0].exact"]
    assert "1,001 characters long" in resp.get_json()["error"]
    assert snapshot(store) == before
    created = client.post("/api/claims", json=new_claim_body(ws)).get_json()
    with_claim = snapshot(store)
    resp = client.put(
        f"/api/claims/{created['id']}/verdict",
        json={
            "verdict": "confirmed",
            "rationale": "The whole first page says so.",
            "sources": [{"stance": "supports", "quote": long}],
        },
        headers={"If-Match": f'"{created["version"]}"'},
    )
    assert resp.status_code == 422, resp.get_json()
    assert error_fields(resp) == ["sources[0].quote.exact"]
    assert snapshot(store) == with_claim


def test_a_second_appearance_that_does_not_match_writes_nothing(
    client: Any, ws: Workspace, store: Path
) -> None:
    before = snapshot(store)
    bad = {**quote(ws, DOC_AZERNEWS, SUPPORT), "exact": SUPPORT.upper()}
    body = new_claim_body(ws, appearances=[quote(ws, DOC_BBC, EXACT), bad])
    resp = client.post("/api/claims", json=body)
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[1].exact"]
    assert snapshot(store) == before


def test_the_same_passage_twice_as_appearances_is_a_422_and_writes_nothing(
    client: Any, created: dict[str, Any], ws: Workspace, store: Path
) -> None:
    before = snapshot(store)
    twice = [quote(ws, DOC_BBC, EXACT), quote(ws, DOC_AZERNEWS, SUPPORT), quote(ws, DOC_BBC, EXACT)]
    resp = client.post("/api/claims", json=new_claim_body(ws, appearances=twice))
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[2]"]
    assert "the same passage is listed twice" in resp.get_json()["error"]
    resp = client.patch(
        f"/api/claims/{created['id']}", json={"appearances": twice}, headers={"If-Match": '"1"'}
    )
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[2]"]
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        (errno.ENOSPC, 507, "the disk that holds the store is full"),
        (errno.EDQUOT, 507, "the store's disk quota is used up"),
        (errno.EROFS, 503, "the store is on a read-only file system"),
    ],
)
def test_a_disk_that_refuses_a_save_answers_with_its_problem_and_changes_nothing(
    client: Any,
    created: dict[str, Any],
    store: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
    status: int,
    says: str,
) -> None:
    before = snapshot(store)

    def refuse(fd: int, data: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", refuse)
    resp = client.patch(
        f"/api/claims/{created['id']}", json={"statement": "Changed"}, headers={"If-Match": '"1"'}
    )
    monkeypatch.undo()
    assert resp.status_code == status
    assert resp.get_json()["error"].startswith(f"nothing was saved: {says}.")
    assert snapshot(store) == before
    assert not list(store.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("statement", "Iskanders were \u202enot\u202c used", "202E"),
        ("statement", "Iskanders were used\u2066 (denied)\u2069", "2066"),
        ("claimant", "Krem\u200blin", "200B"),
        ("claimant", "\ufeffKremlin", "FEFF"),
    ],
)
def test_invisible_characters_that_change_how_a_claim_reads_are_refused(
    client: Any, ws: Workspace, store: Path, field: str, value: str, code: str
) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", json=new_claim_body(ws, **{field: value}))
    assert resp.status_code == 422
    (problem,) = resp.get_json()["details"]
    assert problem["field"] == field
    assert f"must not contain the invisible character U+{code}" in problem["message"]
    assert snapshot(store) == before


def test_joiners_and_direction_marks_that_scripts_need_are_kept(client: Any, ws: Workspace) -> None:
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \u200f(Kremlin)"
    resp = client.post("/api/claims", json=new_claim_body(ws, claimant=persian))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["claimant"] == persian


def test_an_invisible_character_in_a_rationale_is_refused(
    client: Any, created: dict[str, Any], store: Path
) -> None:
    before = snapshot(store)
    resp = client.put(
        f"/api/claims/{created['id']}/verdict",
        json={"verdict": "disputed", "rationale": "Both sides \u202eclaim\u202c it", "sources": []},
        headers={"If-Match": '"1"'},
    )
    assert resp.status_code == 422
    assert any("U+202E" in d["message"] for d in resp.get_json()["details"])
    assert snapshot(store) == before


@pytest.mark.parametrize("cid", ["con", "nul", "aux", "prn", "com1", "lpt1", "lpt9"])
def test_a_claim_id_windows_reserves_is_a_422_and_writes_nothing(
    client: Any, ws: Workspace, store: Path, cid: str
) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", json=new_claim_body(ws, id=cid))
    assert resp.status_code == 422
    assert resp.get_json()["details"] == [
        {"field": "id", "message": f"'{cid}' is a reserved file name on Windows; choose another id"}
    ]
    assert snapshot(store) == before


def test_a_statement_that_spells_a_reserved_name_gets_another_id(
    client: Any, ws: Workspace
) -> None:
    resp = client.post("/api/claims", json=new_claim_body(ws, statement="Nul."))
    assert resp.status_code == 201
    assert resp.get_json()["id"].startswith("nul-")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"appearances": [{"doc": "nope", "start": 0, "end": 3, "exact": "BBC"}]},
            "appearances[0].doc",
        ),
        ({"statement": MISSING}, "statement"),
        ({"claimant": MISSING}, "claimant"),
        ({"statement": None}, "statement"),
        ({"statement": "   "}, "statement"),
        ({"claimant": ""}, "claimant"),
        ({"claim_date": "2021-02-30"}, "claim_date"),
        ({"appearances": []}, "appearances"),
        ({"colour": "red"}, "colour"),
        ({"id": "Not An Id!"}, "id"),
    ],
)
def test_bad_fields_of_a_new_claim_are_named_in_a_422(
    client: Any, ws: Workspace, store: Path, change: dict[str, Any], field: str
) -> None:
    before = snapshot(store)
    body = new_claim_body(ws)
    body.update(change)
    body = {k: v for k, v in body.items() if v is not MISSING}
    resp = client.post("/api/claims", json=body)
    assert resp.status_code == 422
    assert field in error_fields(resp)
    assert snapshot(store) == before


def test_a_body_that_is_not_json_is_a_json_422(client: Any, store: Path) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", data="{statement: oops", content_type="application/json")
    assert resp.status_code == 422
    assert error_fields(resp) == ["(body)"]
    assert snapshot(store) == before


def test_a_json_array_body_is_a_422(client: Any, ws: Workspace, store: Path) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", json=[new_claim_body(ws)])
    assert resp.status_code == 422
    assert error_fields(resp) == ["(body)"]
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_write_that_is_not_json_is_415(
    client: Any, ws: Workspace, store: Path, content_type: str
) -> None:
    before = snapshot(store)
    resp = client.post(
        "/api/claims", data=json.dumps(new_claim_body(ws)), content_type=content_type
    )
    assert resp.status_code == 415
    error_fields(resp)
    assert snapshot(store) == before


def test_a_write_without_content_type_is_415(client: Any, store: Path) -> None:
    before = snapshot(store)
    resp = client.put(f"/api/claims/{EXISTING}/verdict", data=b"{}", headers={"If-Match": '"2"'})
    assert resp.status_code == 415
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://localhost.evil.example"]
)
def test_a_cross_origin_write_is_403_and_writes_nothing(
    client: Any, ws: Workspace, store: Path, origin: str
) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", json=new_claim_body(ws), headers={"Origin": origin})
    assert resp.status_code == 403
    error_fields(resp)
    resp = client.delete(f"/api/claims/{EXISTING}", headers={"Origin": origin, "If-Match": '"2"'})
    assert resp.status_code == 403
    assert snapshot(store) == before


def test_a_same_origin_write_is_accepted(client: Any, ws: Workspace) -> None:
    resp = client.post(
        "/api/claims", json=new_claim_body(ws), headers={"Origin": "http://localhost"}
    )
    assert resp.status_code == 201


def test_creating_with_a_taken_id_is_409_and_leaves_the_claim_alone(
    client: Any, ws: Workspace, store: Path
) -> None:
    before = snapshot(store)
    resp = client.post("/api/claims", json=new_claim_body(ws, id=EXISTING))
    assert resp.status_code == 409
    error_fields(resp)
    assert snapshot(store) == before


def test_two_claims_with_the_same_statement_get_different_ids(client: Any, ws: Workspace) -> None:
    first = client.post("/api/claims", json=new_claim_body(ws)).get_json()
    second = client.post("/api/claims", json=new_claim_body(ws)).get_json()
    assert first["id"] != second["id"]


# -- reading -------------------------------------------------------------------------------


def test_a_claim_has_its_version_as_etag_and_a_matching_if_none_match_is_304(
    client: Any,
) -> None:
    version = next(c["version"] for c in shipped() if c["id"] == EXISTING)
    resp = client.get(f"/api/claims/{EXISTING}")
    assert resp.status_code == 200
    assert resp.headers["ETag"] == f'"{version}"'
    assert resp.get_json()["id"] == EXISTING
    again = client.get(f"/api/claims/{EXISTING}", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == f'"{version}"'
    other = client.get(f"/api/claims/{EXISTING}", headers={"If-None-Match": '"999"'})
    assert other.status_code == 200


def test_an_unknown_claim_is_a_json_404(client: Any) -> None:
    for path in ("/api/claims/no-such-claim", "/api/claims/no-such-claim/history"):
        resp = client.get(path)
        assert resp.status_code == 404
        error_fields(resp)


# -- editing -------------------------------------------------------------------------------


def test_a_patch_without_if_match_is_428(client: Any, created: dict[str, Any], store: Path) -> None:
    before = snapshot(store)
    resp = client.patch(f"/api/claims/{created['id']}", json={"claimant": "Someone"})
    assert resp.status_code == 428
    error_fields(resp)
    assert snapshot(store) == before


def test_a_stale_if_match_is_refused_with_the_current_claim(
    client: Any, created: dict[str, Any], store: Path
) -> None:
    cid = created["id"]
    ok = client.patch(f"/api/claims/{cid}", json={"claimant": "A"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    before = snapshot(store)
    resp = client.patch(f"/api/claims/{cid}", json={"claimant": "B"}, headers={"If-Match": '"1"'})
    assert resp.status_code == 412
    error_fields(resp)
    current = resp.get_json()["current"]
    assert current["id"] == cid
    assert current["version"] == 2
    assert current["claimant"] == "A"
    assert resp.headers["ETag"] == '"2"'
    assert snapshot(store) == before


def test_a_patch_with_the_current_version_is_applied_and_bumps_the_version(
    client: Any, created: dict[str, Any], store: Path
) -> None:
    cid = created["id"]
    resp = client.patch(
        f"/api/claims/{cid}",
        json={"statement": "Two Iskander missiles hit Shusha", "claim_date": None},
        headers={"If-Match": '"1"'},
    )
    assert resp.status_code == 200
    claim = resp.get_json()
    assert claim["version"] == 2
    assert resp.headers["ETag"] == '"2"'
    assert claim["statement"] == "Two Iskander missiles hit Shusha"
    assert "claim_date" not in claim
    assert claim["claimant"] == "ANAMA"
    on_disk = json.loads((store / f"{cid}.json").read_text(encoding="utf-8"))
    assert on_disk["version"] == 2
    assert on_disk["statement"] == "Two Iskander missiles hit Shusha"


def test_a_weak_if_match_is_accepted(client: Any, created: dict[str, Any]) -> None:
    cid = created["id"]
    resp = client.patch(f"/api/claims/{cid}", json={"claimant": "X"}, headers={"If-Match": 'W/"1"'})
    assert resp.status_code == 200
    assert resp.get_json()["version"] == 2


@pytest.mark.parametrize("value", ["abc", '"1.0"', '"-1"', '"\u00b2"', '"1", "2"'])
def test_an_unreadable_if_match_is_a_422_naming_it(
    client: Any, created: dict[str, Any], store: Path, value: str
) -> None:
    before = snapshot(store)
    resp = client.patch(
        f"/api/claims/{created['id']}", json={"claimant": "X"}, headers={"If-Match": value}
    )
    assert resp.status_code == 422
    assert error_fields(resp) == ["If-Match"]
    assert snapshot(store) == before


def test_patching_appearances_checks_every_quote(
    client: Any, created: dict[str, Any], ws: Workspace, store: Path
) -> None:
    cid = created["id"]
    before = snapshot(store)
    bad = {**quote(ws, DOC_AZERNEWS, SUPPORT), "start": 0, "end": len(SUPPORT)}
    resp = client.patch(
        f"/api/claims/{cid}", json={"appearances": [bad]}, headers={"If-Match": '"1"'}
    )
    assert resp.status_code == 422
    assert error_fields(resp) == ["appearances[0].exact"]
    assert snapshot(store) == before
    good = [quote(ws, DOC_BBC, EXACT), quote(ws, DOC_AZERNEWS, SUPPORT)]
    resp = client.patch(
        f"/api/claims/{cid}", json={"appearances": good}, headers={"If-Match": '"1"'}
    )
    assert resp.status_code == 200
    assert [a["doc"] for a in resp.get_json()["appearances"]] == [DOC_BBC, DOC_AZERNEWS]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"statement": None}, "statement"),
        ({"appearances": None}, "appearances"),
        ({"appearances": []}, "appearances"),
        ({"verdict": "confirmed"}, "verdict"),
        ({"version": 7}, "version"),
    ],
)
def test_a_patch_cannot_null_required_fields_or_touch_other_ones(
    client: Any, created: dict[str, Any], store: Path, body: dict[str, Any], field: str
) -> None:
    before = snapshot(store)
    resp = client.patch(f"/api/claims/{created['id']}", json=body, headers={"If-Match": '"1"'})
    assert resp.status_code == 422
    assert field in error_fields(resp)
    assert snapshot(store) == before


def test_an_empty_patch_changes_nothing(client: Any, created: dict[str, Any], store: Path) -> None:
    # "version grows by exactly one with each accepted change": a patch that changes no
    # field is no change, so it must not make a new version or an empty history entry.
    before = snapshot(store)
    resp = client.patch(f"/api/claims/{created['id']}", json={}, headers={"If-Match": '"1"'})
    assert resp.status_code in (200, 422)
    if resp.status_code == 200:
        assert resp.get_json()["version"] == 1
        assert resp.headers["ETag"] == '"1"'
    assert snapshot(store) == before


def test_the_lost_update_race_has_exactly_one_winner(
    app: Any, created: dict[str, Any], store: Path
) -> None:
    cid = created["id"]
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def writer(name: str) -> None:
        c = app.test_client()
        read = c.get(f"/api/claims/{cid}")
        etag = read.headers["ETag"]
        barrier.wait()
        results[name] = c.patch(
            f"/api/claims/{cid}", json={"claimant": name}, headers={"If-Match": etag}
        )

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 412]
    (winner,) = [n for n, r in results.items() if r.status_code == 200]
    (loser,) = [r for r in results.values() if r.status_code == 412]
    assert loser.get_json()["current"]["claimant"] == winner
    on_disk = json.loads((store / f"{cid}.json").read_text(encoding="utf-8"))
    assert on_disk["version"] == 2
    assert on_disk["claimant"] == winner
    assert [h["version"] for h in on_disk["history"]] == [1, 2]


# -- verdicts ------------------------------------------------------------------------------


def put_verdict(client: Any, cid: str, body: Any, version: int = 1) -> Any:
    return client.put(f"/api/claims/{cid}/verdict", json=body, headers={"If-Match": f'"{version}"'})


@pytest.mark.parametrize(
    ("verdict", "sources"),
    [
        ("confirmed", ["refutes", "context"]),
        ("denied", ["supports"]),
        ("disputed", ["supports"]),
        ("disputed", ["refutes", "context"]),
        ("confirmed", []),
        ("denied", []),
    ],
)
def test_a_verdict_that_breaks_the_source_rules_is_a_422_naming_sources(
    client: Any,
    created: dict[str, Any],
    ws: Workspace,
    store: Path,
    verdict: str,
    sources: list[str],
) -> None:
    before = snapshot(store)
    cited = [{**supporting(ws), "stance": s} for s in sources]
    body = {"verdict": verdict, "rationale": "Because.", "sources": cited}
    resp = put_verdict(client, created["id"], body)
    assert resp.status_code == 422
    assert error_fields(resp) == ["sources"]
    assert snapshot(store) == before


def test_a_cited_quote_that_does_not_match_is_named(
    client: Any, created: dict[str, Any], ws: Workspace, store: Path
) -> None:
    before = snapshot(store)
    src = supporting(ws)
    src["quote"]["exact"] = "Former Armenian President Serzh Sargsyan has ADMITTED"
    resp = put_verdict(
        client, created["id"], {"verdict": "confirmed", "rationale": "r", "sources": [src]}
    )
    assert resp.status_code == 422
    assert error_fields(resp) == ["sources[0].quote.exact"]
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org/x", "//example.org"]
)
def test_a_url_source_must_be_http(
    client: Any, created: dict[str, Any], store: Path, url: str
) -> None:
    before = snapshot(store)
    src = {"stance": "supports", "url": url, "title": "t"}
    resp = put_verdict(
        client, created["id"], {"verdict": "confirmed", "rationale": "r", "sources": [src]}
    )
    assert resp.status_code == 422
    assert error_fields(resp) == ["sources[0].url"]
    assert snapshot(store) == before


def test_a_valid_verdict_is_saved_with_the_reviewer_and_time(
    client: Any, created: dict[str, Any], ws: Workspace, store: Path
) -> None:
    body = {
        "verdict": "disputed",
        "rationale": "ANAMA says so; the Russian MoD says otherwise.",
        "sources": [supporting(ws), refuting_url()],
    }
    resp = put_verdict(client, created["id"], body)
    assert resp.status_code == 200, resp.get_json()
    claim = resp.get_json()
    assert resp.headers["ETag"] == '"2"'
    assert claim["version"] == 2
    assert claim["verdict"] == "disputed"
    assert claim["rationale"] == body["rationale"]
    assert claim["reviewer"] == "tester"
    assert claim["reviewed_at"].startswith("20")
    assert [s["stance"] for s in claim["sources"]] == ["supports", "refutes"]
    q = claim["sources"][0]["quote"]
    assert q["exact"] == SUPPORT and q["doc"] == DOC_AZERNEWS and q["prefix"]
    assert claim["sources"][1]["url"] == "https://example.org/refutation"
    on_disk = json.loads((store / f"{created['id']}.json").read_text(encoding="utf-8"))
    assert on_disk["verdict"] == "disputed"
    assert on_disk["history"][-1]["action"] == "verdict"
    assert on_disk["history"][-1]["by"] == "tester"
    assert created["id"] in ids(client.get("/api/claims?verdict=disputed"))


def test_a_verdict_needs_if_match(client: Any, created: dict[str, Any], ws: Workspace) -> None:
    body = {"verdict": "confirmed", "rationale": "r", "sources": [supporting(ws)]}
    resp = client.put(f"/api/claims/{created['id']}/verdict", json=body)
    assert resp.status_code == 428
    stale = put_verdict(client, created["id"], body, version=5)
    assert stale.status_code == 412
    assert stale.get_json()["current"]["version"] == 1


# -- deleting ------------------------------------------------------------------------------


def test_deleting_needs_the_current_version_and_moves_the_claim_to_the_trash(
    client: Any, created: dict[str, Any], store: Path
) -> None:
    cid = created["id"]
    before = snapshot(store)
    assert client.delete(f"/api/claims/{cid}").status_code == 428
    stale = client.delete(f"/api/claims/{cid}", headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert stale.get_json()["current"]["version"] == 1
    assert snapshot(store) == before
    resp = client.delete(f"/api/claims/{cid}", headers={"If-Match": '"1"'})
    assert resp.status_code == 204
    assert resp.get_data() == b""
    assert client.get(f"/api/claims/{cid}").status_code == 404
    assert not (store / f"{cid}.json").exists()
    trashed = list((store / ".trash").glob(f"{cid}.*.json"))
    assert len(trashed) == 1
    kept = json.loads(trashed[0].read_text(encoding="utf-8"))
    assert kept["id"] == cid
    assert [h["action"] for h in kept["history"]] == ["created", "deleted"]
    assert kept["history"][-1]["by"] == "tester"
    assert cid not in ids(client.get("/api/claims"))


# -- history -------------------------------------------------------------------------------


def test_the_history_lists_every_change_in_order(
    client: Any, created: dict[str, Any], ws: Workspace
) -> None:
    cid = created["id"]
    client.patch(f"/api/claims/{cid}", json={"claimant": "ANAMA (I.)"}, headers={"If-Match": '"1"'})
    put_verdict(
        client, cid, {"verdict": "confirmed", "rationale": "r", "sources": [supporting(ws)]}, 2
    )
    resp = client.get(f"/api/claims/{cid}/history")
    assert resp.status_code == 200
    history = resp.get_json()
    assert [(h["version"], h["action"], h["by"]) for h in history] == [
        (1, "created", "tester"),
        (2, "edited", "tester"),
        (3, "verdict", "tester"),
    ]
    assert history[1]["changes"] == {"claimant": ["ANAMA", "ANAMA (I.)"]}
    assert set(history[2]["changes"]) == {"verdict", "rationale", "reviewer", "sources"}


# -- hostile input -------------------------------------------------------------------------

ANCHOR_OK = {"doc": DOC_BBC, "start": 0, "end": 3, "exact": "BBC"}


def _claim(**over: Any) -> dict[str, Any]:
    return {"statement": "s", "claimant": "c", "appearances": [ANCHOR_OK], **over}


HOSTILE: list[tuple[str, Any]] = [
    ("null", None),
    ("number", 42),
    ("string", "claim"),
    ("false", False),
    ("empty object", {}),
    ("nested junk", {"statement": {"a": [1, {"b": None}]}, "claimant": [[]], "appearances": {}}),
    ("huge statement", _claim(statement="x" * 20_001)),
    ("huge claimant", _claim(claimant="x" * 501)),
    ("NUL in statement", _claim(statement="two\x00missiles")),
    ("control char in claimant", _claim(claimant="ANAMA\x1b[31m")),
    ("negative offset", _claim(appearances=[{**ANCHOR_OK, "start": -3, "end": 0}])),
    ("start after end", _claim(appearances=[{**ANCHOR_OK, "start": 10, "end": 7}])),
    ("start equals end", _claim(appearances=[{**ANCHOR_OK, "start": 3, "end": 3, "exact": ""}])),
    ("offsets past the end", _claim(appearances=[{**ANCHOR_OK, "start": 10**9, "end": 10**9 + 3}])),
    ("huge integer", _claim(appearances=[{**ANCHOR_OK, "start": 10**40, "end": 10**40 + 3}])),
    ("float offsets", _claim(appearances=[{**ANCHOR_OK, "start": 0.5, "end": 3.5}])),
    ("string offsets", _claim(appearances=[{**ANCHOR_OK, "start": "zero"}])),
    ("doc traversal", _claim(appearances=[{**ANCHOR_OK, "doc": "../seeds/x"}])),
    ("doc null byte", _claim(appearances=[{**ANCHOR_OK, "doc": "a\x00b"}])),
    ("appearance is a list", _claim(appearances=[[DOC_BBC, 0, 3, "BBC"]])),
    ("too many appearances", _claim(appearances=[ANCHOR_OK] * 501)),
    ("huge exact", _claim(appearances=[{**ANCHOR_OK, "end": 20_001, "exact": "B" * 20_001}])),
    ("id traversal", _claim(id="../../etc/passwd")),
    ("verdict junk", {"verdict": "true", "rationale": 1, "sources": "all"}),
    ("sources junk", {"verdict": "confirmed", "rationale": "r", "sources": [None, 1, "x"]}),
    (
        "source both kinds",
        {
            "verdict": "confirmed",
            "rationale": "r",
            "sources": [
                {"stance": "supports", "url": "https://a.org", "title": "t", "quote": ANCHOR_OK}
            ],
        },
    ),
    (
        "source with neither",
        {"verdict": "confirmed", "rationale": "r", "sources": [{"stance": "supports"}]},
    ),
    (
        "url without title",
        {
            "verdict": "confirmed",
            "rationale": "r",
            "sources": [{"stance": "supports", "url": "https://a.org"}],
        },
    ),
    (
        "huge url",
        {
            "verdict": "confirmed",
            "rationale": "r",
            "sources": [{"stance": "supports", "url": "https://a.org/" + "x" * 3000, "title": "t"}],
        },
    ),
]

RAW_BODIES: list[tuple[str, bytes]] = [
    ("truncated", b'{"statement": "s"'),
    ("not utf-8", b'{"statement": "\xff\xfe"}'),
    ("NaN", b'{"statement": NaN, "claimant": Infinity}'),
    ("deep nesting", b"[" * 50_000 + b"]" * 50_000),
    ("deep object nesting", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("huge number literal", b'{"appearances": [{"start": 1' + b"0" * 5000 + b"}]}"),
    ("empty", b""),
    ("too large", b'{"statement": "' + b"x" * (3 * 1024 * 1024) + b'"}'),
]


def _requests(cid: str) -> list[tuple[str, str, dict[str, str]]]:
    m = {"If-Match": '"1"'}
    return [
        ("POST", "/api/claims", {}),
        ("PATCH", f"/api/claims/{cid}", m),
        ("PUT", f"/api/claims/{cid}/verdict", m),
    ]


@pytest.mark.parametrize(("name", "body"), HOSTILE, ids=[n for n, _ in HOSTILE])
def test_hostile_json_bodies_are_a_4xx_json_error_and_write_nothing(
    unsafe: Any, created: dict[str, Any], store: Path, name: str, body: Any
) -> None:
    before = snapshot(store)
    for method, path, headers in _requests(created["id"]):
        if method == "PATCH" and body == {}:
            continue  # an empty patch is valid input: see test_an_empty_patch_changes_nothing
        resp = unsafe.open(
            path,
            method=method,
            data=json.dumps(body),
            content_type="application/json",
            headers=headers,
        )
        assert 400 <= resp.status_code < 500, (method, name, resp.status_code, resp.get_data())
        error_fields(resp)
    assert snapshot(store) == before


@pytest.mark.parametrize(("name", "raw"), RAW_BODIES, ids=[n for n, _ in RAW_BODIES])
def test_malformed_bodies_are_a_4xx_json_error_and_write_nothing(
    unsafe: Any, created: dict[str, Any], store: Path, name: str, raw: bytes
) -> None:
    before = snapshot(store)
    for method, path, headers in _requests(created["id"]):
        resp = unsafe.open(
            path, method=method, data=raw, content_type="application/json", headers=headers
        )
        assert 400 <= resp.status_code < 500, (method, name, resp.status_code)
        error_fields(resp)
    assert snapshot(store) == before


ODD_IDS = ["a" * 300, "..", ".trash", "%00", "Upper-Case", "-x", "a%2Fb"]


@pytest.mark.parametrize(
    "claim_id", ODD_IDS, ids=["300-chars", "dotdot", "trash", "nul", "upper", "dash", "slash"]
)
def test_odd_claim_ids_in_the_url_are_a_json_404_never_a_500(
    unsafe: Any, store: Path, claim_id: str
) -> None:
    before = snapshot(store)
    for method, path in [
        ("GET", f"/api/claims/{claim_id}"),
        ("GET", f"/api/claims/{claim_id}/history"),
        ("PATCH", f"/api/claims/{claim_id}"),
        ("PUT", f"/api/claims/{claim_id}/verdict"),
        ("DELETE", f"/api/claims/{claim_id}"),
    ]:
        body = (
            {"verdict": "confirmed", "rationale": "r", "sources": [refuting_url()]}
            if method == "PUT"
            else {"claimant": "x"}
        )
        resp = unsafe.open(
            path,
            method=method,
            json=body if method != "DELETE" else None,
            headers={"If-Match": '"1"'},
        )
        assert resp.status_code in (404, 422), (method, path, resp.status_code)
        error_fields(resp)
    assert snapshot(store) == before


# -- export, health, headers ---------------------------------------------------------------


def test_the_json_export_is_the_command_lines_byte_for_byte(
    client: Any, run: Callable[..., Result]
) -> None:
    resp = client.get("/api/export?format=json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    result = run("export", "--format", "json")
    assert result.exit_code == 0
    assert resp.get_data() == result.stdout_bytes
    data = json.loads(resp.get_data(as_text=True))
    assert len(data["claims"]) == SHIPPED
    assert [d["id"] for d in data["documents"]] == DOC_IDS


def test_the_csv_export_is_text_csv_with_one_row_per_claim(
    client: Any, run: Callable[..., Result]
) -> None:
    import csv
    import io

    resp = client.get("/api/export?format=csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert sorted(r["id"] for r in rows) == sorted(c["id"] for c in shipped())
    assert resp.get_data() == run("export", "--format", "csv").stdout_bytes


def test_an_export_download_is_an_attachment(client: Any) -> None:
    resp = client.get("/api/export?format=csv&download=1")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.headers["Content-Disposition"].endswith('.csv"')


@pytest.mark.parametrize("fmt", ["xml", "", "JSON", "../json"])
def test_an_unknown_export_format_is_a_422_naming_format(client: Any, fmt: str) -> None:
    resp = client.get("/api/export", query_string={"format": fmt})
    assert resp.status_code == 422
    assert error_fields(resp) == ["format"]


def test_healthz_answers_ok_in_plain_text(client: Any) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    assert resp.get_data() == b"ok"


def test_healthz_touches_no_store(tmp_path: Path, workdir: Path) -> None:
    import shutil

    app = make_app(workdir)
    shutil.rmtree(workdir / "fixtures")
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200
    assert resp.get_data() == b"ok"


def assert_security_headers(resp: Any) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], csp
    script = directives.get("script-src", directives.get("default-src"))
    assert script is not None
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, csp
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"


def test_every_answer_carries_the_security_headers(
    client: Any, created: dict[str, Any], ws: Workspace
) -> None:
    cid = created["id"]
    answers = [
        client.get("/healthz"),
        client.get("/api/documents"),
        client.get("/api/documents/nope"),
        client.get(f"/api/claims/{cid}"),
        client.get(f"/api/claims/{cid}", headers={"If-None-Match": '"1"'}),
        client.get("/api/export?format=csv"),
        client.post("/api/claims", data="x", content_type="text/plain"),
        client.post("/api/claims", json={}, headers={"Origin": "https://evil.example"}),
        client.patch(f"/api/claims/{cid}", json={}),
        client.patch(f"/api/claims/{cid}", json={"claimant": "y"}, headers={"If-Match": '"9"'}),
        client.post("/api/claims", json=new_claim_body(ws)),
        client.delete(f"/api/claims/{cid}", headers={"If-Match": '"1"'}),
        client.get("/api/nowhere"),
        client.get("/"),
        client.get("/static/htmx.min.js"),
    ]
    statuses = [r.status_code for r in answers]
    assert statuses == [200, 200, 404, 200, 304, 200, 415, 403, 428, 412, 201, 204, 404, 200, 200]
    for r in answers:
        assert_security_headers(r)
        r.close()


def test_an_unknown_api_path_or_method_is_a_json_error(client: Any) -> None:
    resp = client.get("/api/nowhere")
    assert resp.status_code == 404
    error_fields(resp)
    # POST /api/documents adds a document now; PUT is no method of it.
    resp = client.put("/api/documents", json={})
    assert resp.status_code == 405
    error_fields(resp)


# -- a broken record -----------------------------------------------------------------------


def test_a_broken_claim_file_does_not_stop_the_api(unsafe: Any, store: Path) -> None:
    (store / "broken-claim.json").write_text("{not json", encoding="utf-8")
    bad = json.loads((store / f"{EXISTING}.json").read_text(encoding="utf-8"))
    bad["version"] = "seven"
    (store / "invalid-claim.json").write_text(json.dumps({**bad, "id": "invalid-claim"}))
    resp = unsafe.get("/api/claims")
    assert resp.status_code == 200
    assert len(resp.get_json()) == SHIPPED
    for cid in ("broken-claim", "invalid-claim"):
        resp = unsafe.get(f"/api/claims/{cid}")
        # Not a server error: the request is fine, the record needs mending by hand.
        assert resp.status_code == 409
        error_fields(resp)
        assert f"{cid}.json" in resp.get_json()["error"]
        assert resp.get_json()["file"] == f"{cid}.json"
    assert unsafe.get(f"/api/claims/{EXISTING}").status_code == 200
    assert unsafe.get("/api/export?format=json").status_code == 200


def test_a_hand_edited_huge_number_in_a_history_does_not_stop_saves(
    client: Any, workdir: Path
) -> None:
    """A number beyond 64 bits (valid JSON; say from a hand edit of a history entry) is kept
    as it is and the claim can still be changed."""
    path = workdir / "fixtures" / "ru-mod-no-iskander-used.json"
    data = json.loads(path.read_text("utf-8"))
    data["history"][0]["changes"] = {"note": [1, 2**70]}
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    etag = client.get("/api/claims/ru-mod-no-iskander-used").headers["ETag"]
    resp = client.patch(
        "/api/claims/ru-mod-no-iskander-used",
        json={"claimant": "Russian Ministry of Defence (press service)"},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    saved = json.loads(path.read_text("utf-8"))
    assert saved["history"][0]["changes"] == {"note": [1, 2**70]}
    assert saved["claimant"] == "Russian Ministry of Defence (press service)"


def test_a_stale_if_match_is_412_even_when_the_body_is_invalid_too(
    client: Any, created: dict[str, Any]
) -> None:
    """Preconditions are evaluated before the content (RFC 9110 §13.2.1)."""
    cid = created["id"]
    client.patch(f"/api/claims/{cid}", json={"claimant": "ANAMA (I.)"}, headers={"If-Match": '"1"'})
    for method, path in (("PUT", "verdict"), ("PUT", "review"), ("PATCH", "")):
        url = f"/api/claims/{cid}/{path}".rstrip("/")
        resp = client.open(
            url, method=method, json={"verdict": "nonsense"}, headers={"If-Match": '"1"'}
        )
        assert resp.status_code == 412, (url, resp.get_json())
        assert resp.get_json()["current"]["version"] == 2
    # With the current version, the same body is what is wrong.
    resp = client.put(
        f"/api/claims/{cid}/verdict", json={"verdict": "nonsense"}, headers={"If-Match": '"2"'}
    )
    assert resp.status_code == 422


# -- the API takes back what it gives ---------------------------------------------------------

TAKEN_BACK = "ru-mod-no-iskander-used"


def _get(client: Any, cid: str) -> tuple[dict[str, Any], str]:
    resp = client.get(f"/api/claims/{cid}")
    assert resp.status_code == 200
    return resp.get_json(), resp.headers["ETag"]


def test_a_verdict_put_back_as_get_gave_it_is_200(client: Any, store: Path) -> None:
    claim, etag = _get(client, TAKEN_BACK)
    assert "orphaned" in claim["sources"][0]["quote"]  # what the old API refused to take back
    body = {k: claim[k] for k in ("verdict", "rationale", "sources", "basis") if k in claim}
    resp = client.put(f"/api/claims/{TAKEN_BACK}/verdict", json=body, headers={"If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    after = resp.get_json()
    assert after["sources"] == claim["sources"] and after["verdict"] == claim["verdict"]
    assert after["version"] == claim["version"] + 1  # the reviewer is now `tester`
    # The whole representation, read-only fields and all, is taken back too; the same
    # verdict again by the same adjudicator is no new version (a retried PUT is one change).
    whole, etag = _get(client, TAKEN_BACK)
    before = snapshot(store)
    resp = client.put(f"/api/claims/{TAKEN_BACK}/verdict", json=whole, headers={"If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == whole
    assert resp.headers["ETag"] == etag
    assert snapshot(store) == before


def test_read_only_fields_that_disagree_are_named_and_nothing_is_written(
    client: Any, store: Path
) -> None:
    claim, etag = _get(client, TAKEN_BACK)
    before = snapshot(store)
    sent = {
        **claim,
        "version": claim["version"] + 3,
        "review_status": "unreviewed",
        "created_by": "someone else",
    }
    resp = client.put(f"/api/claims/{TAKEN_BACK}/verdict", json=sent, headers={"If-Match": etag})
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.get_json()["details"]}
    assert fields == {"version", "review_status", "created_by"}
    assert "read-only" in resp.get_json()["error"]
    # A field the representation does not have is still unknown, not read-only.
    unknown = client.put(
        f"/api/claims/{TAKEN_BACK}/verdict",
        json={**claim, "colour": "red"},
        headers={"If-Match": etag},
    )
    assert unknown.status_code == 422
    assert [d["field"] for d in unknown.get_json()["details"]] == ["colour"]
    assert snapshot(store) == before


def test_a_source_sent_back_orphaned_stays_as_it_is_and_a_false_one_is_named(
    client: Any, workdir: Path, store: Path
) -> None:
    claim, etag = _get(client, TAKEN_BACK)
    path = store / f"{TAKEN_BACK}.json"
    data = json.loads(path.read_text("utf-8"))
    data["sources"][0]["quote"]["orphaned"] = True
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    claim, etag = _get(client, TAKEN_BACK)
    assert claim["sources"][0]["quote"]["orphaned"] is True
    body = {k: claim[k] for k in ("verdict", "rationale", "sources", "basis") if k in claim}
    resp = client.put(f"/api/claims/{TAKEN_BACK}/verdict", json=body, headers={"If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["sources"][0]["quote"] == claim["sources"][0]["quote"]
    # `orphaned: true` on a quote this claim does not have orphaned is refused, named.
    claim, etag = _get(client, TAKEN_BACK)
    other = {**claim["sources"][-1]}
    assert other["quote"]["orphaned"] is False
    other["quote"] = {**other["quote"], "orphaned": True}
    body["sources"] = [*claim["sources"][:-1], other]
    bad = client.put(f"/api/claims/{TAKEN_BACK}/verdict", json=body, headers={"If-Match": etag})
    assert bad.status_code == 422
    n = len(claim["sources"]) - 1
    assert bad.get_json()["details"][0]["field"] == f"sources[{n}].quote.orphaned"


def test_a_claim_patched_back_as_get_gave_it_is_200_and_changes_nothing(
    client: Any, store: Path
) -> None:
    claim, etag = _get(client, TAKEN_BACK)
    before = snapshot(store)
    resp = client.patch(f"/api/claims/{TAKEN_BACK}", json=claim, headers={"If-Match": etag})
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["ETag"] == etag and resp.get_json() == claim
    assert snapshot(store) == before
    changed = {**claim, "short_statement": "Russia's MoD: no Iskander was used in Karabakh"}
    resp = client.patch(f"/api/claims/{TAKEN_BACK}", json=changed, headers={"If-Match": etag})
    assert resp.status_code == 200
    assert resp.get_json()["version"] == claim["version"] + 1
    assert resp.get_json()["short_statement"] == changed["short_statement"]
    history = client.get(f"/api/claims/{TAKEN_BACK}/history").get_json()
    assert history[-1]["changes"] == {
        "short_statement": [claim.get("short_statement"), changed["short_statement"]]
    }


def test_a_short_statement_is_validated_and_can_be_removed(
    client: Any, created: dict[str, Any]
) -> None:
    cid = created["id"]
    too_long = client.patch(
        f"/api/claims/{cid}", json={"short_statement": "x" * 281}, headers={"If-Match": '"1"'}
    )
    assert too_long.status_code == 422
    assert too_long.get_json()["details"][0]["field"] == "short_statement"
    hidden = client.patch(
        f"/api/claims/{cid}", json={"short_statement": "a\u202eb"}, headers={"If-Match": '"1"'}
    )
    assert hidden.status_code == 422
    set_ = client.patch(
        f"/api/claims/{cid}", json={"short_statement": "  Short.  "}, headers={"If-Match": '"1"'}
    )
    assert set_.get_json()["short_statement"] == "Short."
    gone = client.patch(
        f"/api/claims/{cid}", json={"short_statement": None}, headers={"If-Match": '"2"'}
    )
    assert gone.status_code == 200 and "short_statement" not in gone.get_json()


def test_a_review_put_back_as_get_gave_it_is_200(
    client: Any, created: dict[str, Any], ws: Workspace
) -> None:
    cid = created["id"]
    refute = {"stance": "refutes", "quote": quote(ws, DOC_AZERNEWS, "Iskander")}
    first = client.put(
        f"/api/claims/{cid}/review",
        json={"verdict": "denied", "rationale": "No.", "sources": [refute]},
        headers={"If-Match": '"1"'},
    )
    assert first.status_code == 200, first.get_json()
    claim, etag = _get(client, cid)
    mine = claim["reviews"]["tester"]
    assert "reviewed_at" in mine and "orphaned" in mine["sources"][0]["quote"]
    again = client.put(f"/api/claims/{cid}/review", json=mine, headers={"If-Match": etag})
    assert again.status_code == 200, again.get_json()
    assert again.headers["ETag"] == etag  # the same review: one review, one version
    stale_time = {**mine, "reviewed_at": "2020-01-01T00:00:00Z", "rationale": "No, not at all."}
    bad = client.put(f"/api/claims/{cid}/review", json=stale_time, headers={"If-Match": etag})
    assert bad.status_code == 422
    assert [d["field"] for d in bad.get_json()["details"]] == ["reviewed_at"]


WRITES = [
    ("PATCH", "", {"statement": 5}),
    ("PUT", "/verdict", {"verdict": "nonsense"}),
    ("POST", "/verdict/confirm", {"note": 5}),
    ("PUT", "/review", {"verdict": "nonsense"}),
    ("DELETE", "/review", None),
    ("DELETE", "", None),
]


@pytest.mark.parametrize(("method", "path", "bad_body"), WRITES)
def test_every_write_checks_its_precondition_before_its_body(
    client: Any, created: dict[str, Any], store: Path, method: str, path: str, bad_body: Any
) -> None:
    cid = created["id"]
    url = f"/api/claims/{cid}{path}"
    before = snapshot(store)
    kwargs: dict[str, Any] = {"json": bad_body} if bad_body is not None else {}
    missing = client.open(url, method=method, **kwargs)
    assert missing.status_code == 428, missing.get_json()
    stale = client.open(url, method=method, headers={"If-Match": '"7"'}, **kwargs)
    assert stale.status_code == 412, stale.get_json()
    assert stale.get_json()["current"]["version"] == 1 and stale.headers["ETag"] == '"1"'
    # Not even a body that is not JSON gets past a missing or stale precondition.
    garbage = client.open(
        url,
        method=method,
        data=b"{nope",
        content_type="application/json",
        headers={"If-Match": '"7"'},
    )
    assert garbage.status_code == 412
    assert snapshot(store) == before


def test_a_document_patch_checks_its_meta_version_before_its_body(
    client: Any, store: Path, workdir: Path
) -> None:
    doc = client.get(f"/api/documents/{DOC_BBC}").get_json()
    assert client.patch(f"/api/documents/{DOC_BBC}", json={"title": 5}).status_code == 428
    stale = client.patch(
        f"/api/documents/{DOC_BBC}", json={"title": 5, "text": "x"}, headers={"If-Match": '"stale"'}
    )
    assert stale.status_code == 409
    assert stale.get_json()["details"][0]["field"] == "meta_version"
    assert client.get(f"/api/documents/{DOC_BBC}").get_json() == doc
