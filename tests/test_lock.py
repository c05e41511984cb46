"""The lock file (`pylock.toml`, PEP 751): what `.ci/setup` installs on a fresh machine is
every runtime and development dependency of pyproject.toml at one pinned version, each file
with its hash, so that a test tool released tomorrow cannot change what CI runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "pylock.toml"


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def _packages() -> list[dict[str, Any]]:
    with LOCK.open("rb") as f:
        lock = tomllib.load(f)
    assert lock["lock-version"].startswith("1."), lock["lock-version"]
    packages: list[dict[str, Any]] = lock["packages"]
    return packages


def test_every_package_in_the_lock_is_pinned_to_one_version_with_hashes() -> None:
    packages = _packages()
    assert packages, "the lock file is empty"
    for p in packages:
        assert re.fullmatch(r"[A-Za-z0-9.+!-]+", p.get("version", "")), p["name"]
        files = [*p.get("wheels", []), *([p["sdist"]] if "sdist" in p else [])]
        assert files, f"{p['name']} has no file to install"
        for f in files:
            assert re.fullmatch(r"[0-9a-f]{64}", f["hashes"]["sha256"]), (p["name"], f["url"])
            assert f["url"].startswith("https://files.pythonhosted.org/"), f["url"]


def test_every_dependency_of_pyproject_is_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    missing = sorted({_name(r) for r in wanted} - {_name(p["name"]) for p in _packages()})
    assert not missing, f"in pyproject.toml, not in {LOCK.name}: {missing} (run bash .ci/lock)"


def test_setup_installs_the_lock_with_hashes_and_nothing_else_unpinned() -> None:
    setup = (ROOT / ".ci" / "setup").read_text("utf-8")
    installs = [
        line
        for line in setup.splitlines()
        if (re.search(r"\binstall\b", line) or line.startswith('"${pip[@]}"'))
        and not line.lstrip().startswith("#")
    ]
    assert installs == [
        '  apt-get install -y -q --no-install-recommends "${missing[@]}"',
        "pip=(python3 -m pip install -q --disable-pip-version-check)",
        '"${pip[@]}" --require-hashes --no-deps -r "$pinned_uv"',  # uv, as the lock has it
        'python3 -m uv pip install -q "${where[@]}" -r pylock.toml',
        '"${pip[@]}" --no-deps --no-build-isolation -e .',
    ], installs
    assert "npm ci" in setup and "npm install" not in setup  # package-lock.json, as locked
