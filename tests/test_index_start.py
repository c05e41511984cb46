"""A start from the kept index (record/store/index.py `_take_kept`, persisted.py,
statcheck.py): rows made stale by another process's saves are never served, the folder is
listed and stat-ed once (for a big store, by a process of its own, or by the server's when
that one fails), and what is served is what a store built from the files alone serves."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from annotate.record.store import statcheck

from .webutil import make_app


def _kept_app(workdir: Path) -> Any:
    """An app whose store starts from (and keeps) the index in `.annotate-tmp/`, as a server."""
    app = make_app(workdir)
    app.extensions["annotate"].keep_index()
    return app


def _everything(client: Any) -> tuple[Any, ...]:
    """What the lists and counts say: every claim as the API lists it, the queue, the index
    page's counts."""
    claims = client.get("/api/claims?limit=1000").get_json()
    queue = client.get("/api/queue?limit=1000").get_json()
    return claims, queue, _page(client, "/")


def _page(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.sub(r'"csrf_token" value="[^"]*"|"X-CSRF-Token": "[^"]*"', "", html)


def test_a_row_made_stale_by_another_process_s_save_is_not_served_at_start(
    workdir: Path,
) -> None:
    first = _kept_app(workdir)
    before = first.test_client().get("/api/claims?limit=1000").get_json()
    first.extensions["annotate"].store.save_kept()  # every row written
    target = before[0]
    # Another process (no kept index of its own) saves: the kept row of that claim is stale.
    other = make_app(workdir).test_client()
    resp = other.patch(
        f"/api/claims/{target['id']}",
        json={"statement": "Saved by another process after the rows were kept."},
        headers={"If-Match": f'"{target["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()

    restarted = _kept_app(workdir).test_client()
    listed = {c["id"]: c for c in restarted.get("/api/claims?limit=1000").get_json()}
    assert listed[target["id"]]["statement"] == "Saved by another process after the rows were kept."
    assert listed[target["id"]]["version"] == target["version"] + 1
    assert _everything(restarted) == _everything(make_app(workdir).test_client())


def test_a_start_from_the_kept_index_lists_the_folder_once(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing and the stats that validate the kept rows also find the files to read:
    a file added meanwhile is read without the folder being listed a second time."""
    first = _kept_app(workdir)
    first.test_client().get("/claims")
    first.extensions["annotate"].store.save_kept()
    store = workdir / "fixtures"
    source = sorted(store.glob("*.json"))[0]
    (store / "added-after-the-rows.json").write_bytes(
        source.read_bytes().replace(
            f'"id": "{source.stem}"'.encode(), b'"id": "added-after-the-rows"'
        )
    )
    listed: list[str] = []
    real = os.scandir

    def counting(path: Any = ".") -> Any:
        if Path(os.fsdecode(path)) == store:
            listed.append(str(path))
        return real(path)

    app = _kept_app(workdir)
    monkeypatch.setattr("annotate.record.store.index.os.scandir", counting)
    ids = {c["id"] for c in app.test_client().get("/api/claims?limit=1000").get_json()}
    monkeypatch.undo()
    assert "added-after-the-rows" in ids
    assert len(listed) == 1
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


def test_kept_marks_name_their_documents_after_another_process_builds_the_index_again(
    workdir: Path,
) -> None:
    """A server keeps the database's document numbers between its writes; when another
    process builds the database again meanwhile (numbering the documents in another order),
    the next write numbers the marks as the database now does, and a start from the rows
    shows each claim in its own documents."""
    first = _kept_app(workdir)
    client = first.test_client()
    claims = client.get("/api/claims?limit=1000").get_json()
    first.extensions["annotate"].store.save_kept()  # every row, the numbers read
    db_path = workdir / "fixtures" / ".annotate-tmp" / statcheck.INDEX_FILE
    with contextlib.closing(sqlite3.connect(db_path)) as db, db:
        docs = [d for (d,) in db.execute("SELECT doc FROM marked ORDER BY number")]
        assert len(docs) > 1
        # Built again by another process: its rows are gone, its numbering another.
        db.execute("DELETE FROM summaries")
        db.execute("DROP TABLE marked")
        db.execute("CREATE TABLE marked (number INTEGER PRIMARY KEY, doc TEXT NOT NULL)")
        db.executemany("INSERT INTO marked VALUES (?, ?)", enumerate(reversed(docs)))
    for claim in claims:  # saved here after it: written with the numbers of now
        resp = client.patch(
            f"/api/claims/{claim['id']}",
            json={"statement": claim["statement"] + " (saved again)"},
            headers={"If-Match": f'"{claim["version"]}"'},
        )
        assert resp.status_code == 200, resp.get_json()
    assert first.extensions["annotate"].store.save_kept() == len(claims)

    restarted = _kept_app(workdir).test_client()
    built = make_app(workdir).test_client()
    assert _everything(restarted) == _everything(built)
    for doc in client.get("/api/documents?limit=1000").get_json():
        assert _page(restarted, f"/documents/{doc['id']}") == _page(
            built, f"/documents/{doc['id']}"
        )


def test_a_blind_reviewer_sees_kept_summaries_hidden_as_built_ones(workdir: Path) -> None:
    """The summaries a start takes from the kept index are hidden by blind review as those
    read from the files are (the lens replaces fields of the index's named tuples)."""
    kept = make_app(workdir, BLIND=True, REQUIRED_REVIEWS=2)
    kept.extensions["annotate"].keep_index()
    kept.test_client().get("/claims")
    kept.extensions["annotate"].store.save_kept()
    again = make_app(workdir, BLIND=True, REQUIRED_REVIEWS=2)
    again.extensions["annotate"].keep_index()
    built = make_app(workdir, BLIND=True, REQUIRED_REVIEWS=2)
    a = again.test_client().get("/api/claims?limit=1000").get_json()
    b = built.test_client().get("/api/claims?limit=1000").get_json()
    assert a == b
    assert _page(again.test_client(), "/claims") == _page(built.test_client(), "/claims")


@pytest.fixture
def checked_apart(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The kept index checked in a process of its own however small the store, as a big
    store's is (`statcheck.ELSEWHERE_FROM`); the processes started, to look at."""
    started: list[Any] = []
    real = statcheck.subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> Any:
        proc = real(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(statcheck, "ELSEWHERE_FROM", 0)
    monkeypatch.setattr(statcheck.subprocess, "Popen", spy)
    return started


def _changed_while_stopped(workdir: Path) -> tuple[str, str]:
    """Keep the index, then change the folder as a hand or a tool would while no server
    runs: a claim edited in place (same inode), one deleted, one added. The edited id and
    the deleted one."""
    first = _kept_app(workdir)
    first.test_client().get("/claims")
    first.extensions["annotate"].store.save_kept()
    store = workdir / "fixtures"
    edited, deleted, source = sorted(store.glob("*.json"))[:3]
    data = json.loads(edited.read_text("utf-8"))
    data["statement"] = "Edited in place while no server ran."
    inode = edited.stat().st_ino
    edited.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert edited.stat().st_ino == inode
    deleted.unlink()
    added = json.loads(source.read_text("utf-8"))
    added["id"] = "added-while-stopped"
    (store / "added-while-stopped.json").write_text(json.dumps(added), encoding="utf-8")
    # Long ago, as a start after a stop finds them (a folder changed within a second is
    # listed again at the next look, which would hide what the start missed).
    past = time.time_ns() - 60 * 10**9
    os.utime(store, ns=(past, past))
    return edited.stem, deleted.stem


def test_a_big_store_s_files_are_checked_in_a_process_of_its_own_at_start(
    workdir: Path, checked_apart: list[Any]
) -> None:
    edited, deleted = _changed_while_stopped(workdir)
    app = _kept_app(workdir)
    listed = {c["id"]: c for c in app.test_client().get("/api/claims?limit=1000").get_json()}
    assert [p.returncode for p in checked_apart] == [0]
    assert listed[edited]["statement"] == "Edited in place while no server ran."
    assert deleted not in listed
    assert "added-while-stopped" in listed
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


def test_a_check_whose_process_fails_is_made_in_the_server_s_own_and_says_so(
    workdir: Path,
    tmp_path: Path,
    checked_apart: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    edited, deleted = _changed_while_stopped(workdir)
    monkeypatch.setattr(statcheck, "__file__", str(tmp_path / "no-such-check.py"))
    caplog.set_level(logging.WARNING, logger="annotate.record.store.statcheck")
    app = _kept_app(workdir)
    listed = {c["id"]: c for c in app.test_client().get("/api/claims?limit=1000").get_json()}
    assert [p.returncode for p in checked_apart] == [2]  # python: can't open file
    warned = [r.getMessage() for r in caplog.records]
    assert any("failed" in m and "no-such-check.py" in m and "made here" in m for m in warned)
    assert listed[edited]["statement"] == "Edited in place while no server ran."
    assert deleted not in listed
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


def test_a_damaged_kept_index_checked_in_a_process_of_its_own_is_built_again(
    workdir: Path, checked_apart: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The check's process meets the damaged database before the server has replaced it:
    it fails, and the server checks the files against the new, empty one (reads them all)."""
    first = _kept_app(workdir)
    first.test_client().get("/claims")
    first.extensions["annotate"].store.save_kept()
    kept = workdir / "fixtures" / ".annotate-tmp" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{kept}{suffix}").unlink(missing_ok=True)
    kept.write_bytes(b"not a database, whatever the name says" * 100)
    caplog.set_level(logging.WARNING)
    app = _kept_app(workdir)
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())
    assert len(checked_apart) == 1
    warned = " | ".join(r.getMessage() for r in caplog.records)
    assert "unreadable" in warned, warned


def test_without_an_executable_to_start_the_check_is_made_in_the_server_s_own_process(
    workdir: Path, checked_apart: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An embedded interpreter may have no `sys.executable` (None): the check is made in
    the server's own process, with the same result."""
    edited, deleted = _changed_while_stopped(workdir)
    monkeypatch.setattr(statcheck.sys, "executable", None)
    app = _kept_app(workdir)
    listed = {c["id"]: c for c in app.test_client().get("/api/claims?limit=1000").get_json()}
    assert checked_apart == []
    assert listed[edited]["statement"] == "Edited in place while no server ran."
    assert deleted not in listed
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


def test_a_check_begun_before_the_imports_is_taken_and_what_was_saved_since_is_served(
    workdir: Path, checked_apart: list[Any]
) -> None:
    """`annotate serve` begins the check as it starts (`cli.early`); a save another process
    makes after that check and before the start takes it is served too: the index starts
    where the folder stood when the check began, and applies what was logged since."""
    from annotate.cli import early

    edited, deleted = _changed_while_stopped(workdir)
    store = workdir / "fixtures"
    early.begin(["serve", "--seeds", str(workdir / "seeds"), "--store", str(store)])
    assert len(checked_apart) == 1
    checked_apart[0].wait(timeout=30)  # the check made before the save below
    target = sorted(store.glob("*.json"))[5].stem
    other = make_app(workdir).test_client()
    version = other.get(f"/api/claims/{target}").get_json()["version"]
    resp = other.patch(
        f"/api/claims/{target}",
        json={"statement": "Saved by another process after the check began."},
        headers={"If-Match": f'"{version}"'},
    )
    assert resp.status_code == 200, resp.get_json()

    app = _kept_app(workdir)
    listed = {c["id"]: c for c in app.test_client().get("/api/claims?limit=1000").get_json()}
    assert len(checked_apart) == 1  # the one begun, taken: none started at the start
    assert listed[target]["statement"] == "Saved by another process after the check began."
    assert listed[edited]["statement"] == "Edited in place while no server ran."
    assert deleted not in listed
    assert "added-while-stopped" in listed
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


def test_a_check_begun_for_another_folder_is_ended_and_one_made_for_this_one(
    workdir: Path, tmp_path: Path, checked_apart: list[Any]
) -> None:
    """A command line read otherwise than `serve` reads it costs one check nobody takes."""
    from annotate.cli import early

    first = _kept_app(workdir)
    first.test_client().get("/claims")
    first.extensions["annotate"].store.save_kept()
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(workdir / "fixtures", elsewhere)
    early.begin(["serve", "--store", str(elsewhere)])
    app = _kept_app(workdir)
    app.test_client().get("/")
    assert len(checked_apart) == 2
    assert checked_apart[0].returncode is not None  # ended (killed, or done first)
    assert checked_apart[1].returncode == 0
    assert _everything(app.test_client()) == _everything(make_app(workdir).test_client())


@pytest.mark.parametrize(
    ("program", "ours"),
    [
        ("/venv/bin/annotate", True),
        ("annotate", True),
        ("/venv/lib/python3.11/site-packages/annotate/__main__.py", True),
        ("/usr/bin/pytest", False),
        ("/home/me/serve_it.py", False),
        ("/elsewhere/__main__.py", False),
    ],
)
def test_only_annotate_itself_begins_the_check(program: str, ours: bool) -> None:
    """Another program that imports the CLI, whatever its arguments, begins nothing."""
    from annotate.cli import early

    assert early.ours(program) is ours


@pytest.mark.parametrize(
    ("argv", "environ", "store"),
    [
        (["serve", "--store", "desk/claims"], {}, "desk/claims"),
        (["serve", "--port", "0", "--store=desk/claims"], {}, "desk/claims"),
        (["serve"], {"ANNOTATE_STORE": "from/env"}, "from/env"),
        (["serve", "--store", "flag"], {"ANNOTATE_STORE": "from/env"}, "flag"),
        (["serve", "--seeds", "seeds"], {}, "fixtures"),
        (["serve", "--demo", "copy", "--store", "desk/claims"], {}, None),
        (["serve", "--demo=copy"], {}, None),
        (["serve", "--help"], {}, None),
        (["check", "--store", "desk/claims"], {}, None),
        ([], {}, None),
    ],
)
def test_the_store_folder_serve_will_serve_is_read_off_its_command_line(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], environ: dict[str, str], store: str | None
) -> None:
    from annotate.cli import early

    monkeypatch.delenv("ANNOTATE_STORE", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    assert early.store_of(argv) == store


@pytest.mark.parametrize("workers", [1, 2])
def test_annotate_serve_begins_the_check_before_it_imports_the_app(
    workdir: Path, tmp_path: Path, workers: int
) -> None:
    """Through the command as a user starts it: the check's process is started before
    Flask is imported, once, and the start takes it (a small store, made to count as big).
    With workers forked, each makes its own check, and the one begun is ended: none is left
    waiting for a reader while the server runs."""
    first = _kept_app(workdir)
    first.test_client().get("/claims")
    first.extensions["annotate"].store.save_kept()
    hook = tmp_path / "hook"
    hook.mkdir()
    record = tmp_path / "started.txt"
    (hook / "sitecustomize.py").write_text(
        "import os, subprocess, sys\n"
        "from annotate.record.store import statcheck\n"
        "statcheck.ELSEWHERE_FROM = 0\n"
        "real = subprocess.Popen\n"
        "def spy(*a, **k):\n"
        "    if a[0][3:4] == [statcheck.__file__]:\n"
        "        with open(os.environ['STARTED'], 'a') as f:\n"
        "            f.write(f\"{'flask' in sys.modules} {a[0][-1]}\\n\")\n"
        "    return real(*a, **k)\n"
        "statcheck.subprocess.Popen = spy\n"
        "end = statcheck._end\n"
        "def ended(proc):\n"
        "    with open(os.environ['STARTED'], 'a') as f:\n"
        "        f.write('ended\\n')\n"
        "    end(proc)\n"
        "statcheck._end = ended\n",
        encoding="utf-8",
    )
    from bench import serving

    store = workdir / "fixtures"
    env = {"PYTHONPATH": str(hook), "STARTED": str(record)}
    extra = ["--workers", str(workers)]
    with serving.start(workdir / "seeds", store, extra=extra, env=env):
        deadline = time.monotonic() + 10
        while len(record.read_text("utf-8").splitlines()) < workers + 2 * (workers > 1):
            assert time.monotonic() < deadline, record.read_text("utf-8")
            time.sleep(0.1)
        time.sleep(0.5)
        checking = [
            p
            for p in Path("/proc").glob("[0-9]*")
            if b"statcheck.py" in _cmdline(p) and str(store).encode() in _cmdline(p)
        ]
        assert checking == []
    started = record.read_text("utf-8").splitlines()
    if workers == 1:
        assert started == [f"False {store}"]
    else:  # the one begun ended before the workers were forked; each made its own
        assert started == [f"False {store}", "ended"] + [f"True {store}"] * workers


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""
