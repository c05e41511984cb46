"""Exports are deterministic, byte for byte, and the shipped record is pinned as a snapshot."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from pytest_regressions.file_regression import FileRegressionFixture

from annotate.record.service import Workspace

Run = Callable[..., Result]


def test_the_json_export_of_the_shipped_store_is_pinned(
    run: Run, file_regression: FileRegressionFixture
) -> None:
    """Any change to a shipped claim or verdict shows up here as a reviewed diff."""
    result = run("export", "--format", "json")
    assert result.exit_code == 0
    file_regression.check(result.output, extension=".json", encoding="utf-8")


def test_two_exports_are_identical_byte_for_byte(run: Run, workdir: Path) -> None:
    for fmt in ("json", "csv"):
        run("export", "--format", fmt, "-o", f"a.{fmt}")
        run("export", "--format", fmt, "-o", f"b.{fmt}")
        assert (workdir / f"a.{fmt}").read_bytes() == (workdir / f"b.{fmt}").read_bytes()


def test_json_export_lists_claims_and_documents_sorted_by_id(run: Run) -> None:
    data = json.loads(run("export", "--format", "json").output)
    ids = [c["id"] for c in data["claims"]]
    assert ids == sorted(ids) and len(ids) >= 25
    assert [d["id"] for d in data["documents"]] == sorted(d["id"] for d in data["documents"])
    assert {"id", "sha256", "length", "title"} <= set(data["documents"][0])
    assert "history" not in data["claims"][0]


def test_csv_has_one_row_per_claim(run: Run, ws: Workspace) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").output)))
    assert [r["id"] for r in rows] == [c.id for c in ws.store.claims()]
    assert {r["verdict"] for r in rows} == {"confirmed", "denied", "disputed"}


def test_csv_cells_never_start_a_formula(
    run: Run, ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    make_claim(statement='=HYPERLINK("http://evil","x")')
    make_claim(statement="+1 then -1 and @SUM(A1)")
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv").output)))
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@", cell
    assert any(cell == '\'=HYPERLINK("http://evil","x")' for row in rows for cell in row)


def test_export_to_stdout_and_unknown_format(run: Run) -> None:
    assert run("export", "--format", "json").output.startswith('{\n  "claims": [')
    bad = run("export", "--format", "yaml")
    assert bad.exit_code == 2 and "yaml" in bad.output
