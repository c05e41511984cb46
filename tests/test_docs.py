"""The manual in docs/: the generated command reference is current, covers every command, and
the site builds without a warning. CI runs only pytest, so these tests are how it checks docs.

Everything goes through subprocesses (`python -m annotate`, `cog`, `mkdocs`), as a user would run
them, so that they hold whatever the package's modules are called.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

COMMANDS_MD = ROOT / "docs" / "commands.md"
# The pages whose cog blocks run the CLI; one command regenerates them all.
COGGED = ["docs/commands.md", "docs/desk.md"]
REGENERATE = "cog -r " + " ".join(COGGED)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ANNOTATE_")} | {
        "COLUMNS": "80"
    }


def _help(*command: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "annotate", *command, "--help"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _subcommands(help_text: str) -> list[str]:
    """The names listed under `Commands:` in a click group's help (none for a command)."""
    _, found, rest = help_text.partition("\nCommands:\n")
    if not found:
        return []
    return [m.group(1) for m in re.finditer(r"^  (\S+)", rest, re.MULTILINE)]


def _every_command(prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    commands = []
    for name in _subcommands(_help(*prefix)):
        command = (*prefix, name)
        commands.append(command)
        commands.extend(_every_command(command))
    return commands


def test_command_reference_is_generated_from_the_current_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", *COGGED],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, (
        f"the generated parts of the docs are out of date: run `{REGENERATE}` and commit the "
        f"result\n{result.stdout}{result.stderr}"
    )


def test_every_command_is_in_the_command_reference() -> None:
    text = COMMANDS_MD.read_text(encoding="utf-8")
    commands = _every_command()
    assert ("serve",) in commands and ("user", "add") in commands and ("doc", "set") in commands
    missing = []
    for command in commands:
        name = "annotate " + " ".join(command)
        heading = re.search(rf"^#+ {re.escape(name)}$", text, re.MULTILINE)
        cogged = "[[[cog help(" + ", ".join(f'"{c}"' for c in command) + ") ]]]" in text
        if not (heading and cogged and f"Usage: {name} " in text):
            missing.append(name)
    assert not missing, (
        f"docs/commands.md lacks a section (a heading `## {missing[0]}` and under it the cog "
        f"block `<!-- [[[cog help(...) ]]] -->` `<!-- [[[end]]] -->` for its --help) for: "
        f"{', '.join(missing)}; add them, then run `{REGENERATE}`"
    )


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert result.returncode == 0 and not warnings, (
        "`mkdocs build --strict` failed:\n" + result.stdout + result.stderr
    )
    assert (tmp_path / "site" / "commands.html").is_file()


def test_readme_links_and_images_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if "://" not in t and t != "CHANGELOG.md"]
    assert any(t.startswith("docs/") for t in local)
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, f"README.md links to files that are not there: {missing}"


def test_no_screenshots_in_the_package() -> None:
    # They are the manual's (docs/screenshots/), not the app's: the wheel ships annotate/.
    assert not list((ROOT / "annotate").rglob("*.png"))


def test_every_test_the_docs_name_exists() -> None:
    """The manual names the tests that prove its promises (docs/team.md): each must be there,
    so that a renamed or deleted test cannot leave a promise without its proof."""
    missing = []
    for page_path in sorted((ROOT / "docs").glob("*.md")):
        current = None
        for file, name in re.findall(r"`(tests/[\w/]+\.py)?(?:::(\w+))?`", page_path.read_text()):
            if file:
                current = file
            if name and current:
                source = (ROOT / current).read_text(encoding="utf-8")
                if f"def {name}(" not in source:
                    missing.append(f"{page_path.name}: {current}::{name}")
    assert missing == []
