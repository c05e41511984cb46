"""The lock file (`requirements-dev.lock`): what `.ci/setup` installs on a fresh machine is
every runtime and development dependency of pyproject.toml at one pinned version with its
hashes, so that a test tool released tomorrow cannot change what CI runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements-dev.lock"


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def _locked() -> dict[str, list[str]]:
    """Each locked package's name: its requirement lines (pin and hashes) as one entry each."""
    entries = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text("utf-8"))
    out: dict[str, list[str]] = {}
    for entry in entries:
        body = "\n".join(line for line in entry.splitlines() if not line.lstrip().startswith("#"))
        if body.strip():
            out.setdefault(_name(body), []).append(body)
    return out


def test_every_package_in_the_lock_is_pinned_to_one_version_with_hashes() -> None:
    locked = _locked()
    assert locked, "the lock file is empty"
    for name, entries in locked.items():
        for entry in entries:
            first = entry.split("\\")[0].split(";")[0].strip()
            assert re.fullmatch(r"[A-Za-z0-9._-]+(\[[^\]]+\])?==[A-Za-z0-9.+!-]+", first), (
                f"{name} is not pinned to one version: {first!r}"
            )
            assert "--hash=sha256:" in entry, f"{name} has no hash"


def test_every_dependency_of_pyproject_is_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    missing = sorted({_name(r) for r in wanted} - set(_locked()))
    assert not missing, f"in pyproject.toml, not in {LOCK.name}: {missing} (run bash .ci/lock)"


def test_setup_installs_the_lock_with_hashes_and_nothing_else_unpinned() -> None:
    setup = (ROOT / ".ci" / "setup").read_text("utf-8")
    installs = [line for line in setup.splitlines() if '"${pip[@]}"' in line]
    assert installs == [
        '"${pip[@]}" --require-hashes --no-deps -r requirements-dev.lock',
        '"${pip[@]}" --no-deps --no-build-isolation -e .',
    ], installs
    assert "npm ci" in setup and "npm install" not in setup  # package-lock.json, as locked
