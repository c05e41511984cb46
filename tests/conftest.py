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
