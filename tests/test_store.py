"""The store (record/store/): atomic writes, a broken file hides no other, files changed on
disk are read again."""

from __future__ import annotations

import errno
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotate.errors import DiskProblem
from annotate.record.service import Workspace
from annotate.record.store.claimfile import TEMP


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temp_file(
    ws: Workspace,
    make_claim: Callable[..., dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cid = str(make_claim()["id"])
    path = ws.store.path_for(cid)
    before = path.read_bytes()
    listing = sorted(p.name for p in path.parent.iterdir())

    def crash(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        ws.edit_claim(cid, 1, {"statement": "Never written"}, actor="ana")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing
    assert not list(path.parent.rglob("*.tmp"))  # the prepared file is gone too


class DiskCalls:
    """The store's file-system calls, in order, each with the path its descriptor was opened
    on: ("write" | "fsync" | "close", path) and ("replace", src, dst), ("unlink", path)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.paths: dict[int, str] = {}
        real = {n: getattr(os, n) for n in ("open", "write", "fsync", "close", "replace", "unlink")}

        def opened(path: str | os.PathLike[str], flags: int, *args: int, **kw: int) -> int:
            fd: int = real["open"](path, flags, *args, **kw)
            self.paths[fd] = str(Path(path))
            return fd

        def on_fd(name: str) -> Callable[..., object]:
            def call(fd: int, *args: object) -> object:
                self.calls.append((name, self.paths.get(fd, f"fd {fd}")))
                return real[name](fd, *args)

            return call

        def replaced(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
            self.calls.append(("replace", str(Path(src)), str(Path(dst))))
            real["replace"](src, dst)

        def unlinked(path: str | os.PathLike[str], *args: object, **kw: object) -> None:
            self.calls.append(("unlink", str(Path(path))))
            real["unlink"](path, *args, **kw)

        monkeypatch.setattr(os, "open", opened)
        for name in ("write", "fsync", "close"):
            monkeypatch.setattr(os, name, on_fd(name))
        monkeypatch.setattr(os, "replace", replaced)
        monkeypatch.setattr(os, "unlink", unlinked)

    def index(self, call: tuple[str, ...], after: int = -1) -> int:
        """Where `call` was first made after position `after` (fails when it never was)."""
        for i in range(after + 1, len(self.calls)):
            if self.calls[i] == call:
                return i
        raise AssertionError(f"no {call} after call {after} in {self.calls}")


def test_a_save_syncs_the_temp_file_then_renames_it_then_syncs_the_folder(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A power cut can only be survived in this order: the data on disk (fsync of the temp
    # file) before the rename makes it the claim, and the rename on disk (fsync of the folder)
    # before the save is acknowledged. No crash test sees this; the order of calls shows it.
    cid = str(make_claim()["id"])
    path = ws.store.path_for(cid)
    disk = DiskCalls(monkeypatch)
    ws.edit_claim(cid, 1, {"statement": "Two missiles were fired at Shusha"}, actor="ana")
    monkeypatch.undo()
    (rename,) = [c for c in disk.calls if c[0] == "replace"]
    tmp = rename[1]
    assert rename[2] == str(path) and Path(tmp).name.startswith(f".{path.name}.")
    # Prepared in the store's scratch folder, not in the store folder, whose changes readers
    # learn of from the change log (written around the rename only).
    assert Path(tmp).parent == ws.store.root / TEMP
    writes = [i for i, c in enumerate(disk.calls) if c == ("write", tmp)]
    assert writes
    synced = disk.index(("fsync", tmp), writes[-1])
    renamed = disk.index(rename, synced)
    assert disk.index(("close", tmp), synced) < renamed
    disk.index(("fsync", str(path.parent)), renamed)
    assert json.loads(path.read_text())["statement"] == "Two missiles were fired at Shusha"


def test_a_delete_syncs_the_trash_copy_and_the_folder_the_claim_left(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = str(make_claim()["id"])
    path = ws.store.path_for(cid)
    disk = DiskCalls(monkeypatch)
    ws.delete_claim(cid, 1, actor="ana")
    monkeypatch.undo()
    (rename,) = [c for c in disk.calls if c[0] == "replace"]
    tmp, kept = rename[1], Path(rename[2])
    assert kept.parent == ws.store.root / ".trash" and kept.exists()
    assert Path(tmp).parent == kept.parent  # prepared beside the file it becomes
    synced = disk.index(("fsync", tmp))
    renamed = disk.index(rename, synced)
    trash_synced = disk.index(("fsync", str(kept.parent)), renamed)
    removed = disk.index(("unlink", str(path)), trash_synced)
    disk.index(("fsync", str(path.parent)), removed)


def test_a_short_write_is_carried_on_until_the_whole_file_is_written(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.write may write less than it was given (a signal, a pipe, a network file system).
    cid = str(make_claim()["id"])
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:100])))
    ws.edit_claim(cid, 1, {"statement": "Written a hundred bytes at a time"}, actor="ana")
    monkeypatch.undo()
    saved = json.loads(ws.store.path_for(cid).read_text(encoding="utf-8"))
    assert saved["statement"] == "Written a hundred bytes at a time"


def test_a_temp_file_of_the_same_name_is_left_alone_and_another_name_taken(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another writer's temp file, or a link planted where the next one will be: never opened.
    cid = str(make_claim()["id"])
    path = ws.store.path_for(cid)
    scratch = ws.store.root / TEMP
    taken = scratch / f".{path.name}.0000aaaa.tmp"
    taken.write_text("another writer's", encoding="utf-8")
    planted = scratch / f".{path.name}.0000bbbb.tmp"
    target = ws.store.root.parent / "elsewhere.txt"
    target.write_text("not the store's", encoding="utf-8")
    planted.symlink_to(target)
    names = iter(["0000aaaa", "0000bbbb", "0000cccc"])
    monkeypatch.setattr(secrets, "token_hex", lambda n: next(names))
    ws.edit_claim(cid, 1, {"statement": "Saved under a third name"}, actor="ana")
    monkeypatch.undo()
    assert json.loads(path.read_text(encoding="utf-8"))["statement"] == "Saved under a third name"
    assert taken.read_text(encoding="utf-8") == "another writer's"
    assert planted.is_symlink() and target.read_text(encoding="utf-8") == "not the store's"


def test_a_scratch_folder_made_meanwhile_by_another_writer_is_used(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The scratch folder is missing when the temp file is opened (a new store), and another
    # process makes it before this one does: this one uses it rather than failing.
    cid = str(make_claim()["id"])
    scratch = ws.store.root / TEMP
    real = os.open
    missed: list[str | os.PathLike[str]] = []

    def missing_once(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if Path(path).parent == scratch and not missed:
            missed.append(path)  # the folder was not there yet; the other writer made it
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", missing_once)
    ws.edit_claim(cid, 1, {"statement": "Saved through the other's folder"}, actor="ana")
    monkeypatch.undo()
    assert missed
    saved = json.loads(ws.store.path_for(cid).read_text(encoding="utf-8"))
    assert saved["statement"] == "Saved through the other's folder"


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_a_saved_claim_file_has_the_mode_the_umask_gives_any_new_file(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], umask: int
) -> None:
    old = os.umask(umask)
    try:
        cid = str(make_claim()["id"])
        ws.edit_claim(cid, 1, {"statement": "Saved again by the tool"}, actor="ana")
    finally:
        os.umask(old)
    mode = ws.store.path_for(cid).stat().st_mode & 0o777
    assert mode == 0o666 & ~umask, oct(mode)


def test_a_broken_file_does_not_hide_the_other_claims(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    good = str(make_claim()["id"])
    (ws.store.root / "broken.json").write_text("{ not json", encoding="utf-8")
    claims, problems = ws.store.scan()
    assert good in claims
    assert [(p.path.name, p.kind) for p in problems] == [("broken.json", "json")]


def test_a_file_changed_on_disk_is_read_again(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    assert cid in [c.id for c in ws.store.claims()]
    path: Path = ws.store.path_for(cid)
    data = json.loads(path.read_text())
    data["statement"] = "Edited by hand in a text editor, a longer statement"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert {c.id: c.statement for c in ws.store.claims()}[cid].startswith("Edited by hand")


def test_a_full_disk_is_a_disk_problem_naming_it_not_an_os_error(
    ws: Workspace, make_claim: Callable[..., dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What every caller catches (the panel keeps what was typed, the CLI says it in a line);
    # a bare OSError would pass them by.
    cid = str(make_claim()["id"])
    before = ws.store.path_for(cid).read_bytes()

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(DiskProblem, match="nothing was saved: the disk that holds the store"):
        ws.edit_claim(cid, 1, {"statement": "Never written"}, actor="ana")
    monkeypatch.undo()
    assert ws.store.path_for(cid).read_bytes() == before


def test_a_save_is_seen_by_another_process_reading_the_same_store(
    workdir: Path, make_claim: Callable[..., dict[str, object]], ws: Workspace
) -> None:
    # Another process's Workspace on the same folder, its index built before the save: it
    # learns which file changed from the store's change log, not from listing the folder.
    cid = str(make_claim()["id"])
    other = Workspace.open(workdir / "seeds", workdir / "fixtures")
    assert [s.version for s in other.find() if s.id == cid] == [1]
    ws.edit_claim(cid, 1, {"statement": "Seen elsewhere"}, actor="ana")
    assert [(s.version, s.statement) for s in other.find() if s.id == cid] == [
        (2, "Seen elsewhere")
    ]


def test_a_save_reaches_another_process_s_settled_index_through_the_change_log_not_a_listing(
    workdir: Path,
    make_claim: Callable[..., dict[str, object]],
    ws: Workspace,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The change log names the file each save renamed into the store: a reader whose index
    stands on an old (settled) folder applies the logged names and does not list the folder,
    and the claim it then serves is the one just saved."""
    cid = str(make_claim()["id"])  # the first save also makes the store's scratch folder
    store = workdir / "fixtures"
    hour_ago = os.stat(store).st_mtime_ns - 3600 * 10**9
    os.utime(store, ns=(hour_ago, hour_ago))  # an old folder: what a listing can trust
    other = Workspace.open(workdir / "seeds", store)
    assert [s.version for s in other.find() if s.id == cid] == [1]
    listings: list[Any] = []
    scandir = os.scandir

    def listing(p: Any) -> Any:
        listings.append(p)
        return scandir(p)

    monkeypatch.setattr("annotate.record.store.index.os.scandir", listing)
    ws.edit_claim(cid, 1, {"statement": "Seen through the log"}, actor="ana")
    assert [(s.version, s.statement) for s in other.find() if s.id == cid] == [
        (2, "Seen through the log")
    ]
    assert other.claim(cid).statement == "Seen through the log"
    assert not listings, f"the other process listed the folder {len(listings)} times"
