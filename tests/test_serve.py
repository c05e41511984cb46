"""`annotate serve`'s banner says where changes go; `--demo` serves a copy of the record."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annotate.cli import cli

from .conftest import DOC_BBC, ROOT
from .webutil import snapshot


@contextmanager
def serving(cwd: Path, *args: str) -> Iterator[tuple[list[str], str]]:
    """`annotate serve` on a free port in `cwd`: its banner's lines and its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ANNOTATE_STORE", None)
    env.pop("ANNOTATE_SEEDS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", "serve", "--port", "0", "--reviewer", "Rita", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    url = ""
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        found = re.search(r"Open (http://\S+)/", line)
        if found:
            url = found.group(1)
            break
    try:
        assert url, lines
        yield lines, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(workdir: Path) -> Path:
    """The copies of seeds/ and fixtures/ committed in a git repository, as in a checkout."""
    git(workdir, "init", "-q")
    git(workdir, "add", "seeds", "fixtures")
    git(workdir, "commit", "-qm", "shipped record")
    return workdir


def test_the_banner_says_the_server_edits_a_record_that_git_tracks(checkout: Path) -> None:
    """The Quick start's `annotate serve` changed the repository's own `fixtures/` without
    a word."""
    with serving(checkout) as (lines, _):
        store = (checkout / "fixtures").resolve()
        said = "\n".join(lines)
        assert (
            f"Changes are saved in {store}, a record tracked by git in {checkout.resolve()}" in said
        )
        assert "To try the app on a copy: annotate serve --demo" in said


def test_the_banner_of_a_store_outside_git_names_the_folder_only(workdir: Path) -> None:
    with serving(workdir) as (lines, _):
        assert f"Changes are saved in {(workdir / 'fixtures').resolve()}." in lines
        assert "tracked by git" not in "\n".join(lines)


def create_claim(url: str) -> str:
    text = urllib.request.urlopen(f"{url}/api/documents/{DOC_BBC}", timeout=10)
    body = json.loads(text.read())["text"]
    exact = "Two missiles fired on Shusha"
    start = body.index(exact)
    data = {
        "statement": "Two missiles were fired on Shusha",
        "claimant": "ANAMA",
        "appearances": [
            {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
        ],
    }
    req = urllib.request.Request(
        f"{url}/api/claims",
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Origin": url},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        made: dict[str, Any] = json.loads(resp.read())
        return str(made["id"])


def test_demo_serves_a_copy_in_the_folder_named_and_leaves_the_record_alone(
    checkout: Path, tmp_path: Path
) -> None:
    before = snapshot(checkout / "fixtures")
    copy = tmp_path / "demo desk"
    with serving(checkout, "--demo", str(copy)) as (lines, url):
        said = "\n".join(lines)
        assert (
            f"Demo: a copy of {(checkout / 'seeds').resolve()} and "
            f"{(checkout / 'fixtures').resolve()}, made in {copy.resolve()}: changes are saved "
            "there only"
        ) in said
        cid = create_claim(url)
    assert (copy / "fixtures" / f"{cid}.json").is_file()
    assert snapshot(checkout / "fixtures") == before
    assert sorted(p.name for p in (copy / "seeds").iterdir()) == sorted(
        p.name for p in (checkout / "seeds").iterdir()
    )


def test_demo_without_a_folder_copies_into_a_temporary_one(checkout: Path) -> None:
    with serving(checkout, "--demo") as (lines, _):
        (line,) = [ln for ln in lines if ln.startswith("Demo: ")]
        made = Path(re.search(r", made in (\S+):", line).group(1))  # type: ignore[union-attr]
        assert made.name.startswith("annotate-demo-") and (made / "fixtures").is_dir()
        assert made.resolve() != checkout.resolve()
    shutil.rmtree(made)


def test_demo_refuses_a_folder_that_is_not_empty(workdir: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(cli, ["serve", "--demo", "seeds"])
    assert result.exit_code == 2
    assert "--demo: 'seeds' is not an empty folder" in result.output
