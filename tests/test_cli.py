"""The command line as users meet it: help, schema, `python -m annotate`, README coverage."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from click.testing import Result

from annotate.cli import cli

from .conftest import ROOT

Run = Callable[..., Result]


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:  # type: ignore[attr-defined]
        assert f"annotate {name}" in readme, f"`annotate {name}` is missing from README.md"


def test_help_with_h_and_help(run: Run) -> None:
    for flag in ("-h", "--help"):
        result = run(flag)
        assert result.exit_code == 0
        assert "check" in result.output and "export" in result.output


def test_schema_is_a_json_schema_that_accepts_every_shipped_claim(run: Run) -> None:
    schema = json.loads(run("schema").output)
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in sorted((ROOT / "fixtures").glob("*.json")):
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)


def test_python_dash_m_annotate_runs_the_same_command_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "annotate", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.startswith("annotate, version ")


def test_the_version_is_the_installed_distributions() -> None:
    """`annotate --version`, the pages and the OpenAPI description say the version that
    pyproject.toml gives the distribution (installed by .ci/setup as annotate-factcheck)."""
    from importlib.metadata import version

    import annotate

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == annotate.DISTRIBUTION == "annotate-factcheck"
    assert pyproject["project"]["version"] == annotate.__version__
    assert version(annotate.DISTRIBUTION) == annotate.__version__


def test_environment_variables_choose_the_folders(run: Run, workdir, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (workdir / "fixtures").rename(workdir / "elsewhere")
    assert run("check").exit_code == 2
    monkeypatch.setenv("ANNOTATE_STORE", "elsewhere")
    assert run("check").exit_code == 0


def test_short_form_shows_sets_and_clears_a_claims_published_text(
    run: Callable[..., Result], workdir: Path
) -> None:
    cid = "aliyev-called-putin-about-marking"
    shown = run("short-form", cid)
    assert shown.exit_code == 0
    assert shown.output.endswith("characters: the short form\n")
    long = "x" * 90
    result = run("short-form", cid, long, "--reviewer", "desk editor")
    assert result.exit_code == 0, result.output
    assert "(90 characters)" in result.output and "claim-reviewed-long" in result.output
    saved = json.loads((workdir / "fixtures" / f"{cid}.json").read_text(encoding="utf-8"))
    assert saved["short_statement"] == long
    assert saved["history"][-1]["by"] == "desk editor"
    assert saved["history"][-1]["changes"]["short_statement"][1] == long
    assert run("check", "--strict").exit_code == 1
    cleared = run("short-form", cid, "--clear", "--reviewer", "desk editor")
    assert cleared.exit_code == 0
    assert "short_statement" not in json.loads(
        (workdir / "fixtures" / f"{cid}.json").read_text(encoding="utf-8")
    )
    assert run("short-form", cid).output.endswith("the statement (no short form)\n")
    assert run("short-form", cid, "a", "--clear").exit_code == 2
    bad = run("short-form", cid, "a\u202eb")
    assert bad.exit_code == 1 and "invisible character" in bad.output
    assert run("short-form", "no-such-claim", "x").exit_code == 1


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--store", ""],
        ["check", "--seeds="],
        ["export", "--store", " ", "--format", "json"],
        ["serve", "--store=", "--port", "0"],
    ],
)
def test_an_empty_folder_name_is_refused_not_taken_for_the_current_folder(
    run: Callable[..., Result], workdir: Path, args: list[str]
) -> None:
    """`Path("")` is the folder the command runs in: an empty `--store=` served (or checked)
    the checkout itself as the store. It is a usage error, and nothing is written."""
    before = sorted(p.relative_to(workdir) for p in workdir.rglob("*"))
    result = run(*args)
    assert result.exit_code == 2, result.output
    flag = "--store" if "store" in "".join(args) else "--seeds"
    assert f"Invalid value for '{flag}': an empty name: name a folder" in result.output
    assert sorted(p.relative_to(workdir) for p in workdir.rglob("*")) == before
