"""The store's index (record/store/index.py, changelog.py): what other processes, git and
editors do to the folder is seen; saves are in the lists at once; counts kept current by
saves are a fresh count's; a following thread keeps up without listing the folder."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bench.writers import verdict_body

from .webutil import claim_rows, make_app


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
    assert path.stem not in claim_rows(client.get("/claims"))
    html = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert f'data-claim="{path.stem}"' not in html
    assert client.get(f"/api/claims/{path.stem}").status_code == 404


def test_a_file_broken_while_the_app_runs_is_reported_and_hides_nothing(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    before = claim_rows(client.get("/claims"))
    (store / "half-written.json").write_text('{"id": "half', encoding="utf-8")
    html = client.get("/").get_data(as_text=True)
    assert "Claim files that could not be read" in html
    assert "half-written.json" in html
    assert claim_rows(client.get("/claims")) == before


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
    assert claim_rows(a.get("/claims")) == claim_rows(b.get("/claims"))
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
    assert claim_rows(b.get("/claims")) == claim_rows(a.get("/claims"))


def test_saves_landing_while_another_process_reads_never_make_it_list_the_folder(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save logged after a reader stat-ed the folder, but before it read the log, is for
    the reader's next look: it applies the log up to the mtime it saw instead of giving up
    on the log and listing the folder (0.5 s at 100,000 claims, under the index's lock)."""
    # Not the periodic full check (each folder listed once a minute), which comes due when
    # the saves below take longer than that: a CI run failed with each folder listed once.
    monkeypatch.setattr("annotate.record.store.index.FULL_CHECK_SECONDS", 3600.0)
    monkeypatch.setattr("annotate.record.corpus.FULL_CHECK_SECONDS", 3600.0)
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
    assert claim_rows(reader.get("/claims")) == claim_rows(writer.get("/claims"))
    assert not listings, f"the reader listed the folder {len(listings)} times"


def test_a_reader_does_not_wait_for_a_writer_caught_between_its_rename_and_its_log_line(
    workdir: Path,
) -> None:
    """A reader that finds the folder changed by a rename not yet in the change log serves
    what is logged (every save acknowledged so far) and leaves that save to its next look:
    it does not wait for the writer while holding the index (under a stream of saves that
    wait held every reader and saver behind it: one page a second with 8 savers)."""
    store = workdir / "fixtures"
    writer_app, reader_app = make_app(workdir), make_app(workdir)
    writer, reader = writer_app.test_client(), reader_app.test_client()
    claims = sorted(writer.get("/api/claims").get_json(), key=lambda c: c["id"])
    first, second = claims[0], claims[1]
    resp = writer.patch(  # a logged save: the reader follows the change log from here
        f"/api/claims/{first['id']}",
        json={"statement": "Saved and acknowledged."},
        headers={"If-Match": f'"{first["version"]}"'},
    )
    assert resp.status_code == 200
    hour_ago = os.stat(store).st_mtime_ns - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))
    assert "Saved and acknowledged." in reader.get("/claims").get_data(as_text=True)
    # A writer renames a new version into the store and is held before it logs the line.
    path = store / f"{second['id']}.json"
    data = json.loads(path.read_text("utf-8"))
    data["statement"] = "Renamed, not yet logged."
    tmp = store / ".held.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    renamed, release = threading.Event(), threading.Event()

    def held_writer() -> None:
        with writer_app.extensions["annotate"].store._folder_change(path.name):
            os.replace(tmp, path)
            renamed.set()
            release.wait(30)

    holder = threading.Thread(target=held_writer)
    holder.start()
    try:
        assert renamed.wait(10)
        answers: list[str] = []
        read = threading.Thread(
            target=lambda: answers.append(reader.get("/claims").get_data(as_text=True))
        )
        read.start()
        read.join(10)  # a hang detector, not a time limit: the old reader waited for release
        assert answers, "the reader waited for the writer between its rename and its log line"
        assert "Saved and acknowledged." in answers[0]
    finally:
        release.set()
        holder.join()
    read.join()
    assert "Renamed, not yet logged." in reader.get("/claims").get_data(as_text=True)


def test_a_reader_that_listed_a_changing_folder_follows_the_saves_by_the_log(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing made while the folder had just changed cannot be trusted yet (a change in
    the same timestamp would not show), so it is made again once the folder has settled;
    meanwhile the change log carries the reader on. Listing again on every look instead,
    while a stream of saves kept the folder from settling, listed the whole folder for each
    request (100,000 files, under the index's lock: pages and saves at one a second)."""
    writer, reader = make_app(workdir).test_client(), make_app(workdir).test_client()
    claims = sorted(writer.get("/api/claims").get_json(), key=lambda c: c["id"])[:5]
    resp = writer.patch(  # just saved: the folder has not settled when the reader lists it
        f"/api/claims/{claims[0]['id']}",
        json={"statement": "Saved just before the reader's first look."},
        headers={"If-Match": f'"{claims[0]["version"]}"'},
    )
    assert resp.status_code == 200
    assert "Saved just before" in reader.get("/claims").get_data(as_text=True)
    listings = []
    scandir = os.scandir
    monkeypatch.setattr(
        "annotate.record.store.index.os.scandir", lambda p: listings.append(p) or scandir(p)
    )
    for n, claim in enumerate(claims[1:]):
        resp = writer.patch(
            f"/api/claims/{claim['id']}",
            json={"statement": f"Save number {n} of a stream."},
            headers={"If-Match": f'"{claim["version"]}"'},
        )
        assert resp.status_code == 200
        assert f"Save number {n} of a stream." in reader.get("/claims").get_data(as_text=True)
    assert not listings, f"the reader listed the folder {len(listings)} times"
    # Once the folder has settled, the listing is made once more, and then trusted.
    monkeypatch.setattr("annotate.record.store.index.RACY_NS", 0)
    reader.get("/claims")
    reader.get("/claims")
    assert len(listings) == 1


def save_statement(writer: Any, claim: dict[str, Any], statement: str) -> None:
    """Save a new statement of `claim` through the API of `writer` (a test client)."""
    etag = writer.get(f"/api/claims/{claim['id']}").headers["ETag"]
    resp = writer.patch(
        f"/api/claims/{claim['id']}", json={"statement": statement}, headers={"If-Match": etag}
    )
    assert resp.status_code == 200, resp.get_json()


def test_a_reader_that_waited_while_another_thread_caught_up_does_not_list_the_folder(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests of one server read while another process saves: the first stats the
    folder, a save lands and the second request brings the index past it. The first then
    holds an mtime older than the index's, which no logged line ends at: it listed the whole
    folder (and set the index back, so the next look listed it again). With 16 readers and 8
    savers at 100,000 claims most requests listed 100,000 files. The folder is now stat-ed
    under the index's lock, so that order cannot happen: no request lists the folder."""
    store = workdir / "fixtures"
    writer = make_app(workdir).test_client()
    reader_app = make_app(workdir)
    reader = reader_app.test_client()
    index = reader_app.extensions["annotate"].store
    claims = sorted(writer.get("/api/claims").get_json(), key=lambda c: c["id"])

    save_statement(writer, claims[0], "A first save makes the store's .annotate-tmp/.")
    hour_ago = os.stat(store).st_mtime_ns - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))  # an old folder: its listing is trusted
    reader.get("/claims")
    save_statement(writer, claims[1], "Saved before the first request stats the folder.")
    readers: set[threading.Thread] = set()
    listings = []
    scandir, real_stat = os.scandir, os.stat
    interleaved = threading.Event()

    def listing(p: Any) -> Any:
        if threading.current_thread() in readers:
            listings.append(p)
        return scandir(p)

    def second_request() -> None:
        answers.append(reader.get("/claims").get_data(as_text=True))

    def meanwhile() -> None:
        """Another process saves; a second request reads, unless the first holds the index."""
        save_statement(writer, claims[2], "Saved after the first request stat-ed the folder.")
        if index._cache_lock.acquire(blocking=False):
            index._cache_lock.release()
            second = threading.Thread(target=second_request)
            readers.add(second)
            second.start()
            second.join()

    def stat(p: Any, *args: Any, **kwargs: Any) -> Any:
        st = real_stat(p, *args, **kwargs)
        if (
            threading.current_thread() in readers
            and not interleaved.is_set()
            and os.fspath(p) == os.fspath(store)
        ):
            interleaved.set()
            other = threading.Thread(target=meanwhile)
            other.start()
            other.join()
        return st

    answers: list[str] = []
    first = threading.Thread(target=lambda: answers.append(reader.get("/claims").get_data(True)))
    readers.add(first)
    monkeypatch.setattr("annotate.record.store.index.os.scandir", listing)
    monkeypatch.setattr("annotate.record.store.index.os.stat", stat)
    first.start()
    first.join()
    monkeypatch.setattr("annotate.record.store.index.os.stat", real_stat)
    assert interleaved.is_set()
    assert all("Saved before the first request" in page for page in answers), len(answers)
    readers.add(threading.current_thread())
    final = reader.get("/claims")
    monkeypatch.setattr("annotate.record.store.index.os.scandir", scandir)
    assert "Saved after the first request" in final.get_data(as_text=True)
    assert claim_rows(final) == claim_rows(writer.get("/claims"))
    assert not listings, f"the reader listed the folder {len(listings)} times"


def test_a_save_logged_just_after_a_reader_found_its_folder_unchanged_is_applied_not_listed(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader whose listing is not trusted yet (the folder had just changed) looks at the
    change log on every request. When a save is logged between its stat of the folder
    (unchanged since its last look) and its reading of the log, the log still accounts for
    the folder: the line is applied. Before, no line ended at that mtime and the folder was
    listed."""
    writer, reader_app = make_app(workdir).test_client(), make_app(workdir)
    reader = reader_app.test_client()
    store = workdir / "fixtures"
    claims = sorted(writer.get("/api/claims").get_json(), key=lambda c: c["id"])[:2]

    save_statement(writer, claims[0], "Saved just before the reader's first look.")
    assert "Saved just before" in reader.get("/claims").get_data(as_text=True)  # not settled
    listings = []
    scandir, real_stat = os.scandir, os.stat
    saved = threading.Event()

    def stat(p: Any, *args: Any, **kwargs: Any) -> Any:
        st = real_stat(p, *args, **kwargs)
        if not saved.is_set() and os.fspath(p) == os.fspath(store):
            saved.set()  # the folder as this reader last saw it, and then a save lands
            save_statement(
                writer, claims[1], "Saved between the stat of the folder and the look at the log."
            )
        return st

    monkeypatch.setattr(
        "annotate.record.store.index.os.scandir", lambda p: listings.append(p) or scandir(p)
    )
    monkeypatch.setattr("annotate.record.store.index.os.stat", stat)
    page = reader.get("/claims").get_data(as_text=True)
    monkeypatch.setattr("annotate.record.store.index.os.stat", real_stat)
    assert saved.is_set()
    assert "Saved between the stat of the folder" in page
    assert not listings, f"the reader listed the folder {len(listings)} times"


def marks_on(client: Any, doc: str) -> dict[str, str]:
    """The claims marked on a document's page, with the verdict each mark shows."""
    html = client.get(f"/documents/{doc}").get_data(as_text=True)
    return dict(re.findall(r'<mark [^>]*data-claim="([^"]+)" data-verdict="([^"]+)"', html))


def test_a_document_s_page_follows_every_change_to_its_claims(workdir: Path) -> None:
    """The page's claims are kept between views until the index changes: a claim added by
    another process, a verdict saved and a claim deleted each show on the next view."""
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    path = next(iter(sorted(store.glob("*.json"))))
    source = json.loads(path.read_text("utf-8"))
    doc = source["appearances"][0]["doc"]

    def verdicts() -> dict[str, str]:
        return marks_on(client, doc)

    before = verdicts()
    assert before == verdicts() and source["id"] in before
    (store / "added-beside.json").write_text(
        json.dumps({**source, "id": "added-beside"}), encoding="utf-8"
    )
    assert verdicts() == {**before, "added-beside": before[source["id"]]}
    assert before[source["id"]] != "confirmed"
    claim = client.get("/api/claims/added-beside")
    saved = client.put(
        "/api/claims/added-beside/verdict",
        json=verdict_body(claim.get_json(), "Confirmed by its own appearance."),
        headers={"If-Match": claim.headers["ETag"]},
    )
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert verdicts() == {**before, "added-beside": "confirmed"}
    (store / "added-beside.json").unlink()
    assert verdicts() == before


def test_a_claim_rewritten_onto_another_document_leaves_one_page_for_the_other(
    workdir: Path,
) -> None:
    """A change of a claim's documents makes both pages anew (a save keeps the pages of the
    documents it does not touch): rewritten by another process to appear on another
    document, the claim leaves the first page and shows on the second."""
    client = make_app(workdir).test_client()
    store = workdir / "fixtures"
    path = next(iter(sorted(store.glob("*.json"))))
    source = json.loads(path.read_text("utf-8"))
    here = source["appearances"][0]["doc"]
    there = next(p.stem for p in sorted((workdir / "seeds").glob("*.txt")) if p.stem != here)

    def marked(doc: str) -> set[str]:
        return set(marks_on(client, doc))

    cid = source["id"]
    assert cid in marked(here) and cid not in marked(there)
    text = (workdir / "seeds" / f"{there}.txt").read_text("utf-8")
    moved = {**source, "version": source["version"] + 1}
    moved["appearances"] = [{**source["appearances"][0], "doc": there, "start": 0,
                             "end": 20, "exact": text[:20], "prefix": "",
                             "suffix": text[20:52]}]  # fmt: skip
    replacement = store / ".moved.tmp"
    replacement.write_text(json.dumps(moved), encoding="utf-8")
    os.replace(replacement, path)
    assert cid not in marked(here) and cid in marked(there)
    os.replace(store / path.name, store / ".gone.tmp")  # moved out: gone from both
    assert cid not in marked(here) | marked(there)
