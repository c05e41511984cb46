"""The read side at scale: the index follows the disk, lists are paginated, check in parallel."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from annotate.record.check import check
from annotate.record.service import Workspace
from bench.corpus import generate

from .conftest import DOC_BBC
from .webutil import claim_rows, make_app


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated corpus of 120 documents and 250 claims (tests copy it before writing)."""
    out = tmp_path_factory.mktemp("big")
    generate(120, 250, out, seed=3)
    return out


@pytest.fixture
def big_client(big: Path) -> Any:
    return make_app(big, store="store").test_client()


def test_the_claims_list_is_paginated_in_the_chosen_order(big_client: Any, big: Path) -> None:
    claims = [json.loads(p.read_text("utf-8")) for p in (big / "store").glob("*.json")]
    # The default order: by document (ids sorted), then where each claim first appears.
    every = [
        c["id"]
        for c in sorted(
            claims, key=lambda c: (min((a["doc"], a["start"]) for a in c["appearances"]), c["id"])
        )
    ]
    first = big_client.get("/claims")
    html = first.get_data(as_text=True)
    assert "250 claims" in html
    assert "Page 1 of 3" in html
    assert claim_rows(first) == every[:100]
    assert 'href="/claims?page=2" rel="next"' in html
    assert claim_rows(big_client.get("/claims?page=2")) == every[100:200]
    assert claim_rows(big_client.get("/claims?page=3")) == every[200:]
    # Out of range or not a number: the nearest page, never an error.
    assert claim_rows(big_client.get("/claims?page=99")) == every[200:]
    assert claim_rows(big_client.get("/claims?page=x")) == every[:100]


def test_filters_and_sort_hold_across_pages(big_client: Any, big: Path) -> None:
    claims = [json.loads(p.read_text("utf-8")) for p in (big / "store").glob("*.json")]
    unreviewed = sorted(
        (c for c in claims if "verdict" not in c),
        key=lambda c: c["statement"].casefold(),
        reverse=True,
    )
    expected = [c["id"] for c in unreviewed]
    assert len(expected) > 100
    got = claim_rows(big_client.get("/claims?verdict=unreviewed&sort=-statement"))
    resp = big_client.get("/claims?verdict=unreviewed&sort=-statement&page=2")
    got += claim_rows(resp)
    assert got == expected
    html = resp.get_data(as_text=True)
    assert f"{len(expected)} claims" in html
    # The links to other pages keep the filter and the sort.
    assert "verdict=unreviewed" in html.split('rel="prev"')[0].rsplit("href=", 1)[1]


def test_the_index_is_paginated_with_counts_from_the_index(big_client: Any, big: Path) -> None:
    html = big_client.get("/").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert "250</strong> claims reviewed" in html or "of <strong>250</strong>" in html
    second = big_client.get("/?page=2").get_data(as_text=True)
    docs = sorted(p.stem for p in (big / "seeds").glob("*.txt"))
    assert docs[119] in second and docs[0] not in second
    summary = json.loads((big / "bench-corpus.json").read_text("utf-8"))
    # The busiest document's row counts its 250 claims (all of them appear there).
    assert summary["busiest"] == docs[0]
    row = html.split(docs[0], 1)[1].split("</tr>", 1)[0]
    assert '<td class="num count" data-label="claims">250</td>' in row


def test_check_gives_the_same_report_in_parallel(workdir: Path) -> None:
    store = workdir / "fixtures"
    (store / "half-written.json").write_text('{"id": "half', encoding="utf-8")
    path = next(iter(sorted(store.glob("*.json"))))
    data = json.loads(path.read_text("utf-8"))
    data["appearances"][0]["start"] += 1
    data["appearances"][0]["end"] += 1
    path.write_text(json.dumps(data), encoding="utf-8")
    shutil.copy(store / f"{data['id']}.json", store / "copy-of-claim.json")
    ws = Workspace.open(workdir / "seeds", store)
    alone = check(ws, workers=1)
    assert {p.kind for p in alone} >= {"json", "filename", "quote-mismatch"}
    import annotate.record.check as module

    chunk = module.CHUNK
    try:
        module.CHUNK = 5  # several chunks, so that two processes share them
        together = check(ws, workers=2)
    finally:
        module.CHUNK = chunk
    assert together == alone


def test_the_document_page_marks_from_the_index_and_a_drifted_claim_in_full(
    workdir: Path,
) -> None:
    client = make_app(workdir).test_client()
    html = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    marks = html.count("<mark ")
    assert marks > 0
    seed = workdir / "seeds" / f"{DOC_BBC}.txt"
    seed.write_text("Editor's note.\n\n" + seed.read_text("utf-8"), "utf-8")
    moved = client.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert moved.count("<mark ") == marks
    assert moved.count(" drifted") > 0


def test_two_servers_on_one_store_see_each_others_saves_and_every_other_change(
    workdir: Path,
) -> None:
    """Saves reach the other process through the change log; a change made around the log
    (a copy, a git pull) between two saves is still seen, by listing the folder."""
    store = workdir / "fixtures"
    hour_ago = (os.stat(store).st_mtime_ns) - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))  # an old folder: what a listing can trust
    a, b = make_app(workdir).test_client(), make_app(workdir).test_client()
    names = sorted(p.stem for p in store.glob("*.json"))
    first, second, third = names[0], names[1], names[2]
    assert claim_rows(a.get("/claims")) == claim_rows(b.get("/claims"))

    def patch(claim_id: str, statement: str) -> None:
        etag = a.get(f"/api/claims/{claim_id}").headers["ETag"]
        resp = a.patch(
            f"/api/claims/{claim_id}", json={"statement": statement}, headers={"If-Match": etag}
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)

    patch(first, "Saved through server A, seen by server B.")
    assert "Saved through server A, seen by server B." in b.get("/claims").get_data(as_text=True)

    copied = json.loads((store / f"{third}.json").read_text("utf-8"))
    copied["id"] = "pulled-by-git"
    copied["statement"] = "Arrived with a git pull between two saves."
    (store / ".incoming").write_text(json.dumps(copied), encoding="utf-8")
    os.replace(store / ".incoming", store / "pulled-by-git.json")
    patch(second, "A second save after the pull.")
    listed = b.get("/claims").get_data(as_text=True)
    assert "Arrived with a git pull between two saves." in listed
    assert "A second save after the pull." in listed

    etag = a.get(f"/api/claims/{third}").headers["ETag"]
    assert a.delete(f"/api/claims/{third}", headers={"If-Match": etag}).status_code == 204
    assert third not in claim_rows(b.get("/claims"))
    assert b.get(f"/api/claims/{third}").status_code == 404
    assert sorted(claim_rows(a.get("/claims"))) == sorted(claim_rows(b.get("/claims")))
