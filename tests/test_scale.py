"""The read side at scale: the index follows the disk, lists are paginated, check in parallel."""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from annotate.record.check import check
from annotate.record.service import Workspace
from bench.corpus import generate
from bench.writers import verdict_body

from .conftest import DOC_BBC
from .webutil import make_app, page


def rows(resp: Any) -> list[str]:
    """The claim ids of the claims list's rows, in order."""
    found = []

    def walk(node: Any) -> None:
        if not isinstance(node, str):
            if "data-claim-row" in node.attrs:
                found.append(node.attrs["data-claim-row"])
            for child in node.children:
                walk(child)

    walk(page(resp))
    return found


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
    every = sorted(p.stem for p in (big / "store").glob("*.json"))
    first = big_client.get("/claims")
    html = first.get_data(as_text=True)
    assert "250 claims" in html
    assert "Page 1 of 3" in html
    assert rows(first) == every[:100]
    assert 'href="/claims?page=2" rel="next"' in html
    assert rows(big_client.get("/claims?page=2")) == every[100:200]
    assert rows(big_client.get("/claims?page=3")) == every[200:]
    # Out of range or not a number: the nearest page, never an error.
    assert rows(big_client.get("/claims?page=99")) == every[200:]
    assert rows(big_client.get("/claims?page=x")) == every[:100]


def test_filters_and_sort_hold_across_pages(big_client: Any, big: Path) -> None:
    claims = [json.loads(p.read_text("utf-8")) for p in (big / "store").glob("*.json")]
    unreviewed = sorted(
        (c for c in claims if "verdict" not in c),
        key=lambda c: c["statement"].casefold(),
        reverse=True,
    )
    expected = [c["id"] for c in unreviewed]
    assert len(expected) > 100
    got = rows(big_client.get("/claims?verdict=unreviewed&sort=-statement"))
    resp = big_client.get("/claims?verdict=unreviewed&sort=-statement&page=2")
    got += rows(resp)
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
    assert '<td class="num">250</td>' in row


def test_a_claim_file_written_by_another_process_is_served(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    assert "copied-by-hand" not in client.get("/claims").get_data(as_text=True)
    source = json.loads(next(iter(sorted(store.glob("*.json")))).read_text("utf-8"))
    source["id"] = "copied-by-hand"
    source["statement"] = "A claim another process wrote while the app was running."
    (store / "copied-by-hand.json").write_text(json.dumps(source), encoding="utf-8")
    listed = client.get("/claims").get_data(as_text=True)
    assert "copied-by-hand" in listed
    doc = source["appearances"][0]["doc"]
    assert 'data-claim="copied-by-hand"' in client.get(f"/documents/{doc}").get_data(as_text=True)
    assert client.get("/api/claims/copied-by-hand").status_code == 200


def test_a_claim_replaced_by_a_rename_is_served_as_replaced(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    path = next(iter(sorted(store.glob("*.json"))))
    client.get("/claims")
    data = json.loads(path.read_text("utf-8"))
    data["statement"] = "Rewritten by a git pull: a different statement."
    tmp = store / ".incoming.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)
    assert "Rewritten by a git pull" in client.get("/claims").get_data(as_text=True)


def test_a_claim_deleted_on_disk_disappears(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    path = next(iter(sorted(store.glob("*.json"))))
    doc = json.loads(path.read_text("utf-8"))["appearances"][0]["doc"]
    assert path.stem in client.get("/claims").get_data(as_text=True)
    assert f'data-claim="{path.stem}"' in client.get(f"/documents/{doc}").get_data(as_text=True)
    path.unlink()
    assert path.stem not in rows(client.get("/claims"))
    html = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert f'data-claim="{path.stem}"' not in html
    assert client.get(f"/api/claims/{path.stem}").status_code == 404


def test_a_file_broken_while_the_app_runs_is_reported_and_hides_nothing(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    before = rows(client.get("/claims"))
    (store / "half-written.json").write_text('{"id": "half', encoding="utf-8")
    html = client.get("/").get_data(as_text=True)
    assert "Claim files that could not be read" in html
    assert "half-written.json" in html
    assert rows(client.get("/claims")) == before


def edit_in_place(path: Path, statement: str) -> None:
    """Change a claim file's statement as some editors save: same inode, folder untouched."""
    data = json.loads(path.read_text("utf-8"))
    data["statement"] = statement
    with open(path, "r+", encoding="utf-8") as f:
        f.seek(0)
        f.write(json.dumps(data))
        f.truncate()


def test_an_edit_in_place_is_seen_by_the_full_check(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit that keeps the inode and leaves the folder alone is seen by the periodic full
    check (`FULL_CHECK_SECONDS`), not by the one-stat check of every request."""
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    path = next(iter(sorted(store.glob("*.json"))))
    client.get("/claims")
    edit_in_place(path, "Edited in place by an editor that keeps the inode.")
    monkeypatch.setattr("annotate.record.store.index.FULL_CHECK_SECONDS", 0.0)
    assert "Edited in place by an editor" in client.get("/claims").get_data(as_text=True)


def test_a_followed_store_sees_an_edit_in_place_without_a_request_checking_every_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`annotate serve` has a thread follow the store: it stats the files a share at a time
    (each once per `FULL_CHECK_SECONDS`), so requests never make the full pass themselves
    (at 100,000 claims that pass held one request for 0.3 to 5 s once a minute)."""
    monkeypatch.setattr("annotate.record.store.index.FULL_CHECK_SECONDS", 0.5)
    # A folder changed within the last second may change again unseen, and is listed again
    # (see Store): this one was copied long ago.
    os.utime(workdir / "fixtures", (time.time() - 10, time.time() - 10))
    app = make_app(workdir)
    store = app.extensions["annotate"].store
    client = app.test_client()
    client.get("/claims")
    store.follow(every=0.05)
    path = next(iter(sorted((workdir / "fixtures").glob("*.json"))))
    full_passes = []  # folder listings made by anything but the following thread
    scandir = os.scandir

    def listing(p: Any) -> Any:
        if threading.current_thread().name != "annotate-index":
            full_passes.append(p)
        return scandir(p)

    monkeypatch.setattr("annotate.record.store.index.os.scandir", listing)
    edit_in_place(path, "Edited in place by an editor that keeps the inode.")
    deadline = time.monotonic() + 10
    while "Edited in place by an editor" not in client.get("/claims").get_data(as_text=True):
        assert time.monotonic() < deadline, "the following thread never noticed the edit"
        time.sleep(0.05)
    assert not full_passes, "a request listed the store folder"


def test_a_save_is_in_the_lists_at_once(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    listed = {c["id"]: c for c in client.get("/api/claims").get_json()}
    target = listed[sorted(listed)[0]]
    client.get("/claims")  # the index is built
    resp = client.patch(
        f"/api/claims/{target['id']}",
        json={"statement": "Saved through the API and listed at once."},
        headers={"If-Match": f'"{target["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    assert "Saved through the API and listed at once." in client.get(
        f"/claims?q={target['id']}"
    ).get_data(as_text=True)


def _without_tokens(html: str) -> str:
    return re.sub(r'"csrf_token" value="[^"]*"|"X-CSRF-Token": "[^"]*"', "", html)


def test_counts_kept_current_by_saves_are_what_a_fresh_count_gives(workdir: Path) -> None:
    """A save brings the cached counts up to date by its own change (recounting every summary
    made each page after a save wait 0.9 s at 100,000 claims): after verdicts set, changed and
    a claimant edited, the pages show what a newly started app counts from the files."""
    client = make_app(workdir).test_client()
    client.get("/")
    client.get("/claims")  # the counts and the list of claimants are made
    claims = sorted(client.get("/api/claims").get_json(), key=lambda c: c["id"])[:8]
    for i, claim in enumerate(claims * 2):
        current = client.get(f"/api/claims/{claim['id']}")
        verdict, stance = [("confirmed", "supports"), ("denied", "refutes")][i % 2]
        body = verdict_body(current.get_json(), f"save {i}")
        body["verdict"], body["sources"][0]["stance"] = verdict, stance
        resp = client.put(
            f"/api/claims/{claim['id']}/verdict",
            json=body,
            headers={"If-Match": current.headers["ETag"]},
        )
        assert resp.status_code == 200, resp.get_json()
    etag = client.get(f"/api/claims/{claims[0]['id']}").headers["ETag"]
    resp = client.patch(
        f"/api/claims/{claims[0]['id']}",
        json={"claimant": "A claimant nobody else has"},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 200, resp.get_json()

    fresh = make_app(workdir).test_client()
    for path in ("/", "/claims"):
        kept = _without_tokens(client.get(path).get_data(as_text=True))
        assert kept == _without_tokens(fresh.get(path).get_data(as_text=True)), path
    assert "A claimant nobody else has" in client.get("/claims").get_data(as_text=True)


def test_a_following_thread_applies_another_process_s_saves_a_few_at_a_time(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's saves reach a followed store in batches of `FOLLOW_BATCH`, each
    under the index's lock for a moment, until none is left."""
    monkeypatch.setattr("annotate.record.store.index.FOLLOW_BATCH", 3)
    store = workdir / "fixtures"
    hour_ago = os.stat(store).st_mtime_ns - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))
    writer, follower = make_app(workdir), make_app(workdir)
    a, b = writer.test_client(), follower.test_client()
    assert rows(a.get("/claims")) == rows(b.get("/claims"))
    follower.extensions["annotate"].store.follow(every=0.02)
    for claim in sorted(a.get("/api/claims").get_json(), key=lambda c: c["id"])[:10]:
        resp = a.patch(
            f"/api/claims/{claim['id']}",
            json={"statement": f"{claim['statement']} (saved by the other process)"},
            headers={"If-Match": f'"{claim["version"]}"'},
        )
        assert resp.status_code == 200, resp.get_json()
    index = follower.extensions["annotate"].store
    deadline = time.monotonic() + 10
    while True:
        with index._cache_lock:  # what the index holds, without a request's own refresh
            seen = sum(
                "(saved by the other process)" in e.summary.statement
                for e in index._entries.values()
                if e.summary is not None
            )
        if seen == 10:
            break
        assert time.monotonic() < deadline, f"the following thread applied {seen} of 10"
        time.sleep(0.02)
    assert rows(b.get("/claims")) == rows(a.get("/claims"))


def test_saves_landing_while_another_process_reads_never_make_it_list_the_folder(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save logged after a reader stat-ed the folder, but before it read the log, is for
    the reader's next look: it applies the log up to the mtime it saw instead of giving up
    on the log and listing the folder (0.5 s at 100,000 claims, under the index's lock)."""
    store = workdir / "fixtures"
    writer, reader = make_app(workdir).test_client(), make_app(workdir).test_client()
    claims = sorted(writer.get("/api/claims").get_json(), key=lambda c: c["id"])
    resp = writer.patch(  # a first save makes the store's .annotate-tmp/ (not a logged change)
        f"/api/claims/{claims[-1]['id']}",
        json={"statement": "The first save."},
        headers={"If-Match": f'"{claims[-1]["version"]}"'},
    )
    assert resp.status_code == 200
    hour_ago = os.stat(store).st_mtime_ns - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))  # an old folder: what a listing can trust
    reader.get("/claims")
    listings = []
    scandir = os.scandir
    main = threading.current_thread()

    def listing(p: Any) -> Any:
        if threading.current_thread() is main:
            listings.append(p)
        return scandir(p)

    def save_many() -> None:
        for n in range(3):
            for claim in claims[:40]:
                etag = writer.get(f"/api/claims/{claim['id']}").headers["ETag"]
                resp = writer.patch(
                    f"/api/claims/{claim['id']}",
                    json={"statement": f"{claim['statement']} ({n})"},
                    headers={"If-Match": etag},
                )
                assert resp.status_code == 200

    saver = threading.Thread(target=save_many)
    monkeypatch.setattr("annotate.record.store.index.os.scandir", listing)
    saver.start()
    while saver.is_alive():
        reader.get("/claims")
    saver.join()
    monkeypatch.setattr("annotate.record.store.index.os.scandir", scandir)
    assert rows(reader.get("/claims")) == rows(writer.get("/claims"))
    assert not listings, f"the reader listed the folder {len(listings)} times"


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
    assert rows(a.get("/claims")) == rows(b.get("/claims"))

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
    assert third not in rows(b.get("/claims"))
    assert b.get(f"/api/claims/{third}").status_code == 404
    assert sorted(rows(a.get("/claims"))) == sorted(rows(b.get("/claims")))
