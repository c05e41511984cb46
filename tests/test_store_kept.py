"""The index kept between runs (record/store/persisted.py): a server starts from
`.annotate-tmp/index.sqlite`, notices what changed in the folder while it was stopped (an
edit, a file added or deleted, a git checkout), builds a damaged or foreign database again,
and loses nothing when the folder is deleted: the claim files stay the only record."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from bench import serving
from bench.startup import kept_rows
from bench.writers import verdict_body

from .conftest import ROOT
from .webutil import make_app

KEPT = Path(".annotate-tmp") / "index.sqlite"


def files(store: Path) -> list[Path]:
    return sorted(store.glob("*.json"))


def serve_once(workdir: Path, *extra: str) -> tuple[dict[str, str], list[str]]:
    """Start `annotate serve` on the copy, read what the pages and the API list, wait until
    it has kept its whole index, stop it: each claim's row on the claims list of its
    claimant (by id), and what it printed."""
    store = workdir / "fixtures"
    server = serving.start(workdir / "seeds", store, extra=list(extra))
    try:
        listed = listing(server)
        deadline = time.monotonic() + 30
        while kept_rows(store) != len(files(store)):
            assert time.monotonic() < deadline, "the server never kept its index"
            time.sleep(0.1)
    finally:
        server.stop()
    return listed, server.output


def listing(server: serving.Server) -> dict[str, str]:
    """Each listed claim's statement as the claims list shows it (from the index), by id,
    and what `/api/questions` answers."""
    with server.client() as c:
        status, claims = c.json("GET", "/api/claims")
        assert status == 200
        rows: dict[str, str] = {}
        for claimant in sorted({x["claimant"] for x in claims}):
            status, _, body = c.request("GET", f"/claims?claimant={quote(claimant)}")
            assert status == 200
            page = body.decode()
            for cid in claim_rows_of(page):
                rows[cid] = _row_text(page, cid)
        # The questions, worked out from the summaries' relations and question names.
        status, _, body = c.request("GET", "/api/questions")
        assert status == 200
        rows["/api/questions"] = body.decode()
        return rows


def claim_rows_of(page: str) -> list[str]:
    return re.findall(r'data-claim-row="([^"]+)"', page)


def _row_text(page: str, cid: str) -> str:
    at = page.index(f'data-claim-row="{cid}"')
    return page[at : page.index("</tr>", at)]


def edit(path: Path, statement: str) -> None:
    data = json.loads(path.read_text("utf-8"))
    data["statement"] = statement
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def test_a_restarted_server_sees_what_changed_while_it_was_stopped(workdir: Path) -> None:
    store = workdir / "fixtures"
    first, _ = serve_once(workdir)
    assert len(first) == len(files(store)) + 1  # each claim, and /api/questions
    edited, gone, source = files(store)[0], files(store)[1], files(store)[2]
    edit(edited, "Edited by hand while no server ran.")
    gone.unlink()
    added = json.loads(source.read_text("utf-8"))
    added["id"] = "added-while-stopped"
    (store / "added-while-stopped.json").write_text(json.dumps(added), encoding="utf-8")

    second, _ = serve_once(workdir)
    assert "Edited by hand while no server ran." in second[edited.stem]
    assert gone.stem not in second
    assert "added-while-stopped" in second
    # What a server built from the files alone lists.
    shutil.rmtree(store / ".annotate-tmp")
    cold, _ = serve_once(workdir)
    assert second == cold


def test_a_git_checkout_that_changes_many_claims_is_seen_at_start(workdir: Path) -> None:
    store = workdir / "fixtures"

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
            cwd=workdir,
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", "fixtures")
    git("commit", "-qm", "record")
    git("checkout", "-q", "-b", "rewritten")
    changed = files(store)[::3]
    for n, path in enumerate(changed):
        edit(path, f"Rewritten on another branch, number {n}.")
    git("commit", "-qam", "rewritten")
    git("checkout", "-q", "main")
    before, _ = serve_once(workdir)
    assert not any("Rewritten on another branch" in row for row in before.values())

    git("checkout", "-q", "rewritten")
    after, _ = serve_once(workdir)
    for n, path in enumerate(changed):
        assert f"Rewritten on another branch, number {n}." in after[path.stem]
    assert set(after) == set(before)


def test_a_damaged_index_database_is_built_again_and_says_so(workdir: Path) -> None:
    store = workdir / "fixtures"
    first, _ = serve_once(workdir)
    for suffix in ("-wal", "-shm"):
        Path(f"{store / KEPT}{suffix}").unlink(missing_ok=True)
    (store / KEPT).write_bytes(b"not a database, whatever the name says" * 100)
    second, output = serve_once(workdir)
    assert second == first
    assert any("index database" in line and "unreadable" in line for line in output), output
    with sqlite3.connect(store / KEPT) as db:
        assert db.execute("SELECT count(*) FROM summaries").fetchone()[0] == len(files(store))


def test_an_index_database_made_for_another_store_is_built_again(
    workdir: Path, tmp_path: Path
) -> None:
    store = workdir / "fixtures"
    first, _ = serve_once(workdir)
    # Another store whose files have the same names: the database copied into it is not
    # taken for its own, whatever its rows hold.
    other = tmp_path / "other"
    other.mkdir()
    shutil.copytree(workdir / "seeds", other / "seeds")
    shutil.copytree(store, other / "fixtures")
    for path in files(other / "fixtures"):
        edit(path, f"The other store's {path.stem}.")
    second, output = serve_once(other)
    assert any("was made for root" in line for line in output), output
    assert all(f"The other store&#39;s {cid}." in row or f"The other store's {cid}." in row
               for cid, row in second.items() if cid != "/api/questions")  # fmt: skip
    assert set(second) == set(first)


def test_deleting_the_scratch_folder_loses_nothing(workdir: Path) -> None:
    store = workdir / "fixtures"
    server = serving.start(workdir / "seeds", store)
    try:
        with server.client() as c:
            _, claims = c.json("GET", "/api/claims")
            target = next(x for x in claims if x["verdict"] != "confirmed")
            status, _, saved = c.request(
                "PUT",
                f"/api/claims/{target['id']}/verdict",
                verdict_body(target, "Saved just before the scratch folder went."),
                {"If-Match": f'"{target["version"]}"'},
            )
            assert status == 200, saved
        deadline = time.monotonic() + 30
        while True:  # the save is kept
            with sqlite3.connect(store / KEPT) as db:
                row = db.execute(
                    "SELECT summary FROM summaries WHERE name = ?", (f"{target['id']}.json",)
                ).fetchone()
            if row and b"Saved just before" in row[0]:
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        server.stop()
    shutil.rmtree(store / ".annotate-tmp")
    server = serving.start(workdir / "seeds", store)
    try:
        with server.client() as c:
            _, confirmed = c.json("GET", "/api/claims?verdict=confirmed")
    finally:
        server.stop()
    mine = next(x for x in confirmed if x["id"] == target["id"])
    assert mine["rationale"] == "Saved just before the scratch folder went."


def test_two_worker_processes_starting_at_once_share_one_kept_index(workdir: Path) -> None:
    store = workdir / "fixtures"
    cold, _ = serve_once(workdir, "--workers", "2")
    warm, output = serve_once(workdir, "--workers", "2")
    assert warm == cold
    assert not any("index database" in line for line in output), output
    os.utime(files(store)[0])  # touched, not changed: read again, served the same
    assert serve_once(workdir, "--workers", "2")[0] == cold


def test_a_document_changed_while_no_server_ran_is_read_again_at_start(workdir: Path) -> None:
    """The corpus is kept beside the index (its documents' sha256, length and metadata):
    a start reads only the documents whose files changed."""
    seeds = workdir / "seeds"

    def documents() -> dict[str, tuple[str, int, str | None]]:
        server = serving.start(seeds, workdir / "fixtures")
        try:
            with server.client() as c:
                status, docs = c.json("GET", "/api/documents")
                assert status == 200
        finally:
            server.stop()
        return {d["id"]: (d["sha256"], d["length"], d["title"]) for d in docs}

    serve_once(workdir)
    text = sorted(seeds.glob("*.txt"))[0]
    meta = sorted(seeds.glob("*.json"))[1]
    with open(text, "a", encoding="utf-8") as f:
        f.write("\nA line added at the end while no server ran.\n")
    data = json.loads(meta.read_text("utf-8"))
    data["title"] = "Retitled while no server ran"
    meta.write_text(json.dumps(data), encoding="utf-8")
    warm = documents()
    assert warm[text.stem][:2] == (
        hashlib.sha256(text.read_bytes()).hexdigest(),
        len(text.read_text("utf-8")),
    )
    assert warm[meta.stem][2] == "Retitled while no server ran"
    shutil.rmtree(workdir / "fixtures" / ".annotate-tmp")
    assert documents() == warm


def test_an_index_database_of_another_schema_is_built_again(workdir: Path) -> None:
    store = workdir / "fixtures"
    first, _ = serve_once(workdir)
    with sqlite3.connect(store / KEPT) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
        db.execute("UPDATE summaries SET summary = '[]'")  # what schema 0 may have held
    second, output = serve_once(workdir)
    assert second == first
    assert any("was made for schema '0'" in line for line in output), output


def test_the_kept_index_is_written_in_batches_and_read_back_whole(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each batch of rows is encoded as it is written (all at once, a first save at 100,000
    claims held 410 MB): every file's row is there, a file gone loses its row, and the next
    start takes every file from the database."""
    from annotate.record.store import Store

    monkeypatch.setattr("annotate.record.store.persisted.BATCH", 3)
    store = workdir / "fixtures"
    first = Store(store)
    first.keep_index()
    first.refresh()
    first.save_kept()
    assert kept_rows(store) == len(files(store)) > 3 * 3
    files(store)[0].unlink()
    first.refresh()
    first.save_kept()
    assert kept_rows(store) == len(files(store))
    caplog.set_level(logging.INFO, logger="annotate.record.store.index")
    again = Store(store)
    again.keep_index()
    assert again.summaries() == first.summaries()
    n = len(files(store))
    assert any(f": {n} of {n} files from" in r.getMessage() for r in caplog.records)


def _page(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.sub(r'"csrf_token" value="[^"]*"|"X-CSRF-Token": "[^"]*"', "", html)


def _by_document(get: Any) -> dict[str, list[str]]:
    """Each seed document's claims, as the API filters them by document (from the index's
    marks: a mark kept under another document's number would move its claim)."""
    docs = sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))
    return {doc: sorted(c["id"] for c in get(f"/api/claims?doc={doc}&limit=1000")) for doc in docs}


def _numbered_otherwise(database: Path) -> None:
    """Number the kept marks' documents the other way round, as another process that met
    them in the other order would have: the `marked` table and every row's marks."""
    import struct

    mark = struct.Struct("<IIIQ?")
    with sqlite3.connect(database) as db:
        docs = [d for _, d in db.execute("SELECT number, doc FROM marked ORDER BY number")]
        other = {n: len(docs) - 1 - n for n in range(len(docs))}
        db.execute("DELETE FROM marked")
        db.executemany(
            "INSERT INTO marked VALUES (?, ?)", [(other[n], d) for n, d in enumerate(docs)]
        )
        rows = db.execute("SELECT name, marks FROM summaries").fetchall()
        for name, marks in rows:
            packed = b"".join(mark.pack(other[n], *rest) for n, *rest in mark.iter_unpack(marks))
            db.execute("UPDATE summaries SET marks = ? WHERE name = ?", (packed, name))


def test_marks_kept_by_one_process_are_in_the_same_documents_in_another(workdir: Path) -> None:
    """The kept marks name their documents by the database's numbers, and each process
    numbers documents its own way. Kept by a server, numbered otherwise (as another process
    would have), then taken and written by this process (which renumbers them both ways),
    and taken by a fresh server (which takes them as they are): every claim is served under
    the documents a build from the files serves it under."""
    seeds, store = workdir / "seeds", workdir / "fixtures"
    built = make_app(workdir).test_client()
    expected = _by_document(lambda path: built.get(path).get_json())
    assert sum(map(len, expected.values())) > 0

    serving.start(seeds, store).stop()  # builds the kept index, and writes it as it stops
    _numbered_otherwise(workdir / "fixtures" / KEPT)
    here = make_app(workdir)
    here.extensions["annotate"].keep_index()
    client = here.test_client()
    assert _by_document(lambda path: client.get(path).get_json()) == expected
    assert _page(client, "/") == _page(built, "/")
    # Every claim saved here (each row written again, its marks numbered as the database
    # numbers them), then a fresh server starts from those rows.
    for claim in client.get("/api/claims?limit=1000").get_json():
        resp = client.put(
            f"/api/claims/{claim['id']}/verdict",
            json=verdict_body(claim, "Saved again by a process that numbers otherwise."),
            headers={"If-Match": f'"{claim["version"]}"'},
        )
        assert resp.status_code == 200, resp.get_json()
    assert here.extensions["annotate"].save_index() == len(files(store))
    with serving.start(seeds, store) as server, server.client() as c:
        assert _by_document(lambda path: c.json("GET", path)[1]) == expected


def test_a_kept_index_whose_documents_are_numbered_otherwise_than_written_is_built_again(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A `marked` table with a number missing (not as the server writes it): the start
    reads the files, and what it serves is what a build from the files serves."""
    seeds, store = workdir / "seeds", workdir / "fixtures"
    built = make_app(workdir).test_client()
    expected = _by_document(lambda path: built.get(path).get_json())
    serving.start(seeds, store).stop()
    with sqlite3.connect(store / KEPT) as db:
        db.execute("DELETE FROM marked WHERE number = 0")
    caplog.set_level(logging.WARNING)
    here = make_app(workdir)
    here.extensions["annotate"].keep_index()
    client = here.test_client()
    assert _by_document(lambda path: client.get(path).get_json()) == expected
    assert _page(client, "/") == _page(built, "/")
    warned = " | ".join(r.getMessage() for r in caplog.records)
    assert "not numbered 0, 1, 2" in warned, warned
