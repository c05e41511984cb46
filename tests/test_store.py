"""The store: one pretty file per claim, versions, history, atomic writes, stale writes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.errors import AlreadyExists, InvalidInput, StaleVersion
from annotate.service import Workspace
from annotate.store import to_json

from .conftest import DOC_AZERNEWS, quote

VERDICT = {
    "verdict": "confirmed",
    "rationale": "Both articles report it.",
    "sources": [{"stance": "supports", "quote": None}],
}


def confirm(ws: Workspace, claim_id: str, version: int) -> dict[str, object]:
    src = quote(ws, DOC_AZERNEWS, "Former Armenian President Serzh Sargsyan has admitted")
    body = {**VERDICT, "sources": [{"stance": "supports", "quote": src}]}
    return ws.set_verdict(claim_id, version, body, actor="ana").public()


def test_a_claim_is_one_pretty_key_sorted_file_with_a_trailing_newline(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    claim = make_claim()
    path = ws.store.path_for(str(claim["id"]))
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert data["version"] == 1
    assert data["appearances"][0]["prefix"].endswith("\n\n")
    assert data["history"][0]["action"] == "created"
    assert data["history"][0]["by"] == "tester"


def test_each_accepted_change_adds_exactly_one_to_the_version_and_is_recorded(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    claim = make_claim()
    cid = str(claim["id"])
    ws.edit_claim(cid, 1, {"claimant": "ANAMA (Idris Ismayilov)"}, actor="ben")
    after = confirm(ws, cid, 2)
    assert after["version"] == 3
    history = ws.claim(cid).history
    assert [h.version for h in history] == [1, 2, 3]
    assert [h.action for h in history] == ["created", "edited", "verdict"]
    assert history[1].by == "ben"
    assert history[1].changes == {"claimant": ["ANAMA", "ANAMA (Idris Ismayilov)"]}
    assert set(history[2].changes) == {"verdict", "rationale", "sources", "reviewer"}


def test_a_stale_version_is_refused_and_changes_nothing(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    ws.edit_claim(cid, 1, {"statement": "First edit wins"}, actor="ana")
    before = ws.store.path_for(cid).read_bytes()
    with pytest.raises(StaleVersion) as exc:
        ws.edit_claim(cid, 1, {"statement": "Second edit from an old read"}, actor="ben")
    assert exc.value.current.statement == "First edit wins"
    assert exc.value.current.version == 2
    assert ws.store.path_for(cid).read_bytes() == before


def test_an_invalid_change_writes_nothing(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    before = ws.store.path_for(cid).read_bytes()
    with pytest.raises(InvalidInput) as exc:
        ws.set_verdict(cid, 1, {"verdict": "denied", "rationale": "x", "sources": []}, "ana")
    assert exc.value.details[0]["field"] == "sources"
    with pytest.raises(InvalidInput) as exc:
        ws.edit_claim(
            cid,
            1,
            {"appearances": [{"doc": DOC_AZERNEWS, "start": 0, "end": 4, "exact": "Nope"}]},
            "ana",
        )
    assert exc.value.details[0]["field"] == "appearances[0].exact"
    assert "the text there is 'Mond'" in exc.value.details[0]["message"]
    assert ws.store.path_for(cid).read_bytes() == before


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
    synced = disk.index(("fsync", tmp))
    renamed = disk.index(rename, synced)
    trash_synced = disk.index(("fsync", str(kept.parent)), renamed)
    removed = disk.index(("unlink", str(path)), trash_synced)
    disk.index(("fsync", str(path.parent)), removed)


def test_ids_are_unique_and_url_safe(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    a = make_claim(statement="Два ракеты «Искандер»: fired on Shusha!")
    b = make_claim(statement="Два ракеты «Искандер»: fired on Shusha!")
    assert a["id"] == "dva-rakety-iskander-fired-on-shusha"  # Cyrillic spelt in ASCII
    assert str(b["id"]).startswith("dva-rakety-iskander-fired-on-shusha-") and a["id"] != b["id"]
    with pytest.raises(AlreadyExists):
        ws.create_claim(
            {
                "id": a["id"],
                "statement": "s",
                "claimant": "c",
                "appearances": [quote(ws, DOC_AZERNEWS, "Sargsyan")],
            },
            "ana",
        )


def test_delete_moves_the_claim_to_trash_with_its_history(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    cid = str(make_claim()["id"])
    with pytest.raises(StaleVersion):
        ws.delete_claim(cid, 7, actor="ana")
    ws.delete_claim(cid, 1, actor="ana")
    assert not ws.store.path_for(cid).exists()
    assert cid not in [c.id for c in ws.store.claims()]
    (kept,) = (ws.store.root / ".trash").glob(f"{cid}.v2.*.json")
    assert json.loads(kept.read_text())["history"][-1]["action"] == "deleted"


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


JSON = st.recursive(
    # orjson takes 64-bit integers (no claim holds a larger number)
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None)  # no timing in tests: a loaded machine must not fail it
@given(JSON)
def test_the_store_writes_json_byte_for_byte_as_the_standard_library_would(data: object) -> None:
    # The fast encoder must not change a single byte of the files in git.
    expected = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        expected_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no UTF-8 file can hold them either way
        with pytest.raises((UnicodeEncodeError, TypeError)):
            to_json(data).encode()
        return
    assert to_json(data).encode() == expected_bytes


def test_every_shipped_claim_file_is_what_the_store_would_write(store: Path) -> None:
    for path in sorted(store.glob("*.json")):
        raw = path.read_bytes()
        assert to_json(json.loads(raw)).encode() == raw, path.name
