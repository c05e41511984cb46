"""The benchmark corpus generator: deterministic, and clean for `annotate check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from annotate.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def generate(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.corpus", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    for name in ("a", "b"):
        done = generate(tmp_path / name, "--docs", "12", "--claims", "80", "--seed", "7")
        assert done.returncode == 0, done.stderr
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert len([k for k in a if k.startswith("store/")]) == 80
    assert len([k for k in a if k.startswith("seeds/") and k.endswith(".txt")]) == 12
    assert a == b
    other = generate(tmp_path / "c", "--docs", "12", "--claims", "80", "--seed", "8")
    assert other.returncode == 0
    assert tree(tmp_path / "c") != a


def test_generated_corpus_is_clean_for_check_and_has_what_benchmarks_need(
    tmp_path: Path,
) -> None:
    done = generate(tmp_path / "g", "--docs", "15", "--claims", "520")
    assert done.returncode == 0, done.stderr
    assert "busiest document" in done.stdout
    result = CliRunner().invoke(
        cli,
        [
            "check",
            "--format",
            "json",
            "--seeds",
            str(tmp_path / "g/seeds"),
            "--store",
            str(tmp_path / "g/store"),
        ],
    )
    report = json.loads(result.output)
    assert result.exit_code == 0, report["problems"][:3]
    assert report["claims_checked"] == 520
    summary = json.loads((tmp_path / "g/bench-corpus.json").read_text())
    assert summary["busiest_claims"] == 500
    claims = [json.loads(p.read_text()) for p in (tmp_path / "g/store").glob("*.json")]
    busiest = [c for c in claims if any(a["doc"] == summary["busiest"] for a in c["appearances"])]
    assert len(busiest) == 500
    assert {c.get("verdict", "unreviewed") for c in claims} == {
        "unreviewed",
        "confirmed",
        "denied",
        "disputed",
    }
    assert any(len({a["doc"] for a in c["appearances"]}) >= 3 for c in claims)
    assert any(s.get("url") for c in claims for s in c["sources"])
    assert any(s.get("quote") for c in claims for s in c["sources"])
    assert any(len(c["history"]) >= 2 for c in claims)
    texts = [p.read_text(encoding="utf-8") for p in (tmp_path / "g/seeds").glob("*.txt")]
    assert any(not t.isascii() for t in texts)
    assert all(len(t) > 2000 for t in texts)


def test_refuses_to_write_over_files(tmp_path: Path) -> None:
    (tmp_path / "g/store").mkdir(parents=True)
    (tmp_path / "g/store/keep.json").write_text("{}")
    done = generate(tmp_path / "g", "--docs", "2", "--claims", "3")
    assert done.returncode == 2
    assert "already holds files" in done.stderr
    assert not (tmp_path / "g/seeds").exists()
    assert (tmp_path / "g/store/keep.json").read_text() == "{}"
