"""Shared fixtures: every test works on copies of the corpus and store in tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from annotate.cli import cli
from annotate.service import Workspace

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the shipped corpus (`seeds/`) and store (`fixtures/`) in tmp_path."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    return tmp_path


@pytest.fixture
def empty_store(workdir: Path) -> Path:
    """The shipped corpus with an empty store."""
    shutil.rmtree(workdir / "fixtures")
    (workdir / "fixtures").mkdir()
    return workdir


@pytest.fixture
def ws(workdir: Path) -> Workspace:
    """The workspace of the copied corpus and store."""
    return Workspace.open(workdir / "seeds", workdir / "fixtures")


@pytest.fixture
def run(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the `annotate` command line in `workdir`, as a user would in a checkout."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("ANNOTATE_SEEDS", raising=False)
    monkeypatch.delenv("ANNOTATE_STORE", raising=False)

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


def quote(ws: Workspace, doc: str, exact: str) -> dict[str, object]:
    """An anchor for the first occurrence of `exact` in a corpus document."""
    text = ws.corpus.get(doc).text
    start = text.index(exact)
    return {"doc": doc, "start": start, "end": start + len(exact), "exact": exact}


DOC_BBC = "000_6c6c33166c2267e4"
DOC_AZERNEWS = "002_212af70a4bdf495d"


@pytest.fixture
def make_claim(ws: Workspace) -> Callable[..., dict[str, object]]:
    """Create an unreviewed claim through the library and return it as the API shows it."""

    def make(
        statement: str = "Two missiles were fired on Shusha",
        exact: str = "Two missiles fired on Shusha",
        doc: str = DOC_BBC,
    ) -> dict[str, object]:
        claim = ws.create_claim(
            {"statement": statement, "claimant": "ANAMA", "appearances": [quote(ws, doc, exact)]},
            actor="tester",
        )
        return claim.public()

    return make
