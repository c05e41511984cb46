"""The store (record/store/): atomic writes, a broken file hides no other, files changed on
disk are read again."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from annotate.record.service import Workspace


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
