"""Lists in pages and exports in pieces (issue #18: constant memory): the API's lists take
`limit` and `offset` and answer with `Link` and `X-Total-Count`; a page reads only its own
claims; exports and `check --format json` are written a claim (a problem) at a time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from annotate.formats.export import export, export_stream
from annotate.record.service import Workspace
from annotate.record.store import Store
from annotate.web import protocol

from .conftest import DOC_BBC, DOC_IDS
from .test_api import SHIPPED, shipped


def links(resp: Any) -> dict[str, str]:
    """The `Link` header's URLs by relation."""
    out = {}
    for part in resp.headers.get("Link", "").split(","):
        m = re.match(r'\s*<([^>]+)>;\s*rel="(\w+)"', part)
        assert m, f"not a link: {part!r}"
        out[m.group(2)] = m.group(1)
    return out


def every_page(client: Any, url: str) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following its `next` links; and how many pages it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        resp = client.get(next_url)
        assert resp.status_code == 200, resp.get_json()
        items += resp.get_json()
        pages += 1
        next_url = links(resp).get("next")
    return items, pages


def test_a_page_of_claims_has_its_window_the_total_and_links_to_the_others(client: Any) -> None:
    every = sorted(c["id"] for c in shipped())
    resp = client.get("/api/claims?limit=10&offset=20")
    assert resp.status_code == 200
    assert [c["id"] for c in resp.get_json()] == every[20:30]
    assert resp.headers["X-Total-Count"] == str(SHIPPED)
    assert links(resp) == {
        "first": "/api/claims?offset=0&limit=10",
        "prev": "/api/claims?offset=10&limit=10",
        "next": "/api/claims?offset=30&limit=10",
        "last": "/api/claims?offset=70&limit=10",
    }


def test_following_next_gives_every_claim_once_in_order(client: Any) -> None:
    items, pages = every_page(client, "/api/claims?limit=10")
    assert [c["id"] for c in items] == sorted(c["id"] for c in shipped())
    assert pages == 8  # 73 claims, 10 a page


def test_the_first_page_has_no_prev_and_the_last_no_next(client: Any) -> None:
    first = links(client.get("/api/claims?limit=10"))
    assert "prev" not in first and first["next"] == "/api/claims?offset=10&limit=10"
    last = client.get("/api/claims?limit=10&offset=70")
    assert len(last.get_json()) == 3
    assert "next" not in links(last)
    assert links(last)["prev"] == "/api/claims?offset=60&limit=10"


def test_a_page_past_the_end_is_empty_and_links_back(client: Any) -> None:
    resp = client.get("/api/claims?limit=10&offset=500")
    assert resp.status_code == 200
    assert resp.get_json() == []
    assert resp.headers["X-Total-Count"] == str(SHIPPED)
    assert links(resp)["prev"] == "/api/claims?offset=63&limit=10"
    assert "next" not in links(resp)


def test_an_empty_list_has_a_total_of_0_and_one_page(client: Any) -> None:
    resp = client.get("/api/claims?claimant=nobody-says-this")
    assert resp.get_json() == []
    assert resp.headers["X-Total-Count"] == "0"
    assert links(resp) == {
        "first": "/api/claims?claimant=nobody-says-this&offset=0&limit=100",
        "last": "/api/claims?claimant=nobody-says-this&offset=0&limit=100",
    }


def test_filters_apply_before_paging_and_every_link_keeps_them(client: Any) -> None:
    expected = sorted(
        c["id"] for c in shipped() if any(a["doc"] == DOC_BBC for a in c["appearances"])
    )
    assert len(expected) > 3
    items, pages = every_page(client, f"/api/claims?doc={DOC_BBC}&limit=3")
    assert [c["id"] for c in items] == expected
    assert pages == -(-len(expected) // 3)
    resp = client.get(f"/api/claims?doc={DOC_BBC}&limit=3")
    assert resp.headers["X-Total-Count"] == str(len(expected))
    assert all(f"doc={DOC_BBC}" in url for url in links(resp).values())


def test_a_search_pages_best_first_and_ranks_across_pages(client: Any) -> None:
    whole = client.get("/api/claims?q=Putin").get_json()
    assert len(whole) > 2
    items, _ = every_page(client, "/api/claims?q=Putin&limit=2")
    assert [c["id"] for c in items] == [c["id"] for c in whole]
    assert [c["match"]["rank"] for c in items] == list(range(1, len(whole) + 1))
    assert [c["match"] for c in items] == [c["match"] for c in whole]


def test_the_default_page_is_100_claims(client: Any, ws: Workspace) -> None:
    base = shipped()[0]
    for i in range(SHIPPED, 101):
        ws.create_claim(
            {
                "statement": f"A claim made to fill the list, number {i}",
                "claimant": base["claimant"],
                "appearances": [
                    {k: base["appearances"][0][k] for k in ("doc", "start", "end", "exact")}
                ],
            },
            "tester",
        )
    resp = client.get("/api/claims")
    assert len(resp.get_json()) == 100
    assert resp.headers["X-Total-Count"] == "101"
    assert links(resp)["next"] == "/api/claims?offset=100&limit=100"
    assert len(client.get("/api/claims?limit=1000").get_json()) == 101


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("limit=-5", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999999", "offset"),
        ("offset=", "offset"),
        ("limit=", "limit"),
    ],
)
@pytest.mark.parametrize("route", ["/api/claims", "/api/documents", "/api/queue"])
def test_a_bad_limit_or_offset_is_a_422_naming_the_parameter(
    client: Any, route: str, query: str, field: str
) -> None:
    resp = client.get(f"{route}?{query}")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"].startswith(f"{field}: ")
    assert [d["field"] for d in body["details"]] == [field]


def test_documents_are_paged_too(client: Any) -> None:
    resp = client.get("/api/documents?limit=2&offset=2")
    assert [d["id"] for d in resp.get_json()] == DOC_IDS[2:4]
    assert resp.headers["X-Total-Count"] == str(len(DOC_IDS))
    items, pages = every_page(client, "/api/documents?limit=2")
    assert [d["id"] for d in items] == DOC_IDS
    assert pages == -(-len(DOC_IDS) // 2)


def test_the_queue_is_paged_after_its_filters(client: Any) -> None:
    whole = client.get("/api/queue?status=decided&limit=1000").get_json()
    assert len(whole) > 5
    items, _ = every_page(client, "/api/queue?status=decided&limit=5")
    assert items == whole
    resp = client.get("/api/queue?status=decided&limit=5")
    assert resp.headers["X-Total-Count"] == str(len(whole))
    assert "status=decided" in links(resp)["next"]


def test_the_openapi_description_documents_the_paging(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for route in ("/api/claims", "/api/documents", "/api/queue"):
        get = paths[route]["get"]
        params = {p["name"]: p for p in get["parameters"]}
        assert params["limit"]["schema"]["maximum"] == 1000
        assert params["limit"]["schema"]["default"] == 100
        assert params["offset"]["schema"]["minimum"] == 0
        assert {"Link", "X-Total-Count"} <= set(get["responses"]["200"]["headers"])


# -- a page reads only its own claims --------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many claims the store reads one by one (`get`), and how many times it reads them
    all (`claims`, `each_claim`)."""
    counts = {"get": 0, "all": 0}
    get, claims, each = Store.get, Store.claims, Store.each_claim

    def counted_get(self: Store, claim_id: str) -> Any:
        counts["get"] += 1
        return get(self, claim_id)

    def counted_claims(self: Store) -> Any:
        counts["all"] += 1
        return claims(self)

    def counted_each(self: Store) -> Any:
        counts["all"] += 1
        return each(self)

    monkeypatch.setattr(Store, "get", counted_get)
    monkeypatch.setattr(Store, "claims", counted_claims)
    monkeypatch.setattr(Store, "each_claim", counted_each)
    return counts


def test_a_page_of_the_claims_api_reads_only_its_claims(client: Any, reads: dict[str, int]) -> None:
    assert client.get("/api/claims?limit=5&offset=30").status_code == 200
    assert reads == {"get": 5, "all": 0}


def test_a_page_of_the_annotation_container_reads_only_its_claims(
    client: Any, reads: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(protocol, "PAGE_SIZE", 4)
    resp = client.get("/annotations/?page=2")
    assert resp.status_code == 200
    assert len(resp.get_json()["items"]) == 4
    assert reads["all"] == 0
    assert reads["get"] <= 4
    assert client.get("/annotations/?page=2&iris=1").status_code == 200
    assert reads["all"] == 0 and reads["get"] <= 4


# -- exports and check in pieces --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "w3c"])
def test_an_export_is_made_a_claim_at_a_time(
    ws: Workspace, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = export(ws, fmt)
    parsed = []
    parse = Store.each_claim

    def counted(self: Store) -> Any:
        for claim in parse(self):
            parsed.append(claim.id)
            yield claim

    monkeypatch.setattr(Store, "each_claim", counted)
    monkeypatch.setattr("annotate.formats.common.CHUNK_CHARS", 1000)
    monkeypatch.setattr("annotate.formats.spreadsheet.CHUNK_CHARS", 1000)
    pieces = export_stream(ws, fmt)
    first = next(pieces)
    # One pass for every format: csv's question column (which needs every claim's links)
    # comes from the index, not from a first pass reading every claim file.
    assert 0 < len(parsed) < SHIPPED / 2  # out before most rows are read
    assert first + "".join(pieces) == whole
    assert len(parsed) == SHIPPED


def test_the_web_export_is_a_streamed_response_with_the_clis_bytes(
    client: Any, run: Callable[..., Result]
) -> None:
    resp = client.get("/api/export?format=json")
    assert resp.is_streamed
    assert resp.get_data() == run("export", "--format", "json").stdout_bytes


def test_a_failed_export_leaves_the_file_it_was_to_replace_as_it_was(
    run: Callable[..., Result], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = workdir / "export.json"
    out.write_text("the previous export\n", encoding="utf-8")
    seen = []

    def broken(claim: Any, with_history: bool) -> Any:
        seen.append(claim.id)
        if len(seen) > 10:
            raise OSError(28, "No space left on device")
        return claim.public()

    monkeypatch.setattr("annotate.formats.native._exported", broken)
    with pytest.raises(OSError, match="No space left"):
        run("export", "--format", "json", "-o", str(out))
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith(".export")) == []
    monkeypatch.undo()
    done = run("export", "--format", "json", "-o", str(out))
    assert done.exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["claims"]
    assert f"(json, {len(out.read_bytes())} bytes)" in done.stderr


def test_check_json_is_the_one_document_it_was(run: Callable[..., Result], store: Path) -> None:
    (store / "broken-claim.json").write_text("{not json", encoding="utf-8")
    result = run("check", "--format", "json")
    report = json.loads(result.output)
    assert report["problems"] and report["errors"] >= 1 and not report["ok"]
    assert result.output == json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    assert list(report) == ["ok", "claims_checked", "strict", "errors", "warnings", "problems"]
