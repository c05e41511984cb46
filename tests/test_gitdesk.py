"""Desks that sync through git, with real repositories in tmp_path: the claim merge driver,
`annotate sync` between two clones of one record through a bare remote, conflicts decided in
the pages, and `annotate diff` of a known history."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotate.cli import cli

from .conftest import DOC_AZERNEWS, ROOT
from .webutil import csrf, make_app, page

if shutil.which("git") is None:  # pragma: no cover - git is part of every desk
    pytest.skip("git is not installed (apt-get install git)", allow_module_level=True)

CLAIM = "ru-mod-no-iskander-used"
REFUTE = {"stance": "refutes", "url": "https://example.org/refutation", "title": "Refutation"}
SUPPORT = {"stance": "supports", "url": "https://example.org/support", "title": "Support"}


def sh(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def annotate(cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Result:
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare remote holding a desk with the shipped corpus and record, as `annotate init`
    makes one."""
    origin = tmp_path / "origin.git"
    seed = tmp_path / "seed"
    assert (
        CliRunner().invoke(cli, ["init", str(seed), "--package", "annotate-factcheck"]).exit_code
        == 0
    )
    shutil.rmtree(seed / "seeds")
    shutil.rmtree(seed / "fixtures")
    shutil.copytree(ROOT / "seeds", seed / "seeds")
    shutil.copytree(
        ROOT / "fixtures", seed / "fixtures", ignore=shutil.ignore_patterns(".annotate-tmp")
    )
    sh(seed, "init", "-q", "-b", "main")
    sh(seed, "add", "-A")
    sh(seed, "commit", "-q", "-m", "the record")
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(origin)], check=True)
    return origin


def clone(remote: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(where)], check=True)
    return where


def app_of(desk: Path, reviewer: str) -> Any:
    return make_app(desk, REVIEWER=reviewer).test_client()


def version(client: Any, cid: str = CLAIM) -> int:
    return int(client.get(f"/api/claims/{cid}").get_json()["version"])


def set_verdict(
    client: Any, verdict: str, rationale: str, sources: list[Any], cid: str = CLAIM
) -> Any:
    return client.put(
        f"/api/claims/{cid}/verdict",
        json={"verdict": verdict, "rationale": rationale, "sources": sources},
        headers={"If-Match": f'"{version(client, cid)}"'},
    )


LONE = "aliyev-baku-awaits-answer-from-yerevan"
"""A claim of the shipped record no other claim links to (one that is linked to cannot be
deleted through the API)."""


def test_two_desks_sync_both_ways_and_lose_nothing(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    ann, bea = app_of(a, "ann"), app_of(b, "bea")
    # Different claims, and different fields of the same claim.
    other = "armenia-first-foreign-iskander-operator-2016"
    assert (
        ann.patch(
            f"/api/claims/{CLAIM}",
            json={"claimant": "Russian Ministry of Defence (MoD)"},
            headers={"If-Match": f'"{version(ann)}"'},
        ).status_code
        == 200
    )
    assert (
        bea.patch(
            f"/api/claims/{CLAIM}",
            json={"claim_date": "2021-02-25"},
            headers={"If-Match": f'"{version(bea)}"'},
        ).status_code
        == 200
    )
    assert (
        bea.patch(
            f"/api/claims/{other}",
            json={"claimant": "SIPRI (Stockholm)"},
            headers={"If-Match": f'"{version(bea, other)}"'},
        ).status_code
        == 200
    )
    first = annotate(a, "sync", monkeypatch=monkeypatch)
    assert first.exit_code == 0, first.output
    assert "committed 1 claim(s)" in first.output and "pushed" in first.output
    second = annotate(b, "sync", monkeypatch=monkeypatch)
    assert second.exit_code == 0, second.output
    assert "merged 1" in second.output
    third = annotate(a, "sync", monkeypatch=monkeypatch)
    assert third.exit_code == 0, third.output
    for desk in (a, b):
        claim = json.loads((desk / "fixtures" / f"{CLAIM}.json").read_text())
        assert claim["claimant"] == "Russian Ministry of Defence (MoD)"
        assert claim["claim_date"] == "2021-02-25"
        assert claim["history"][-1]["action"] == "merged"
        assert json.loads((desk / "fixtures" / f"{other}.json").read_text())["claimant"] == (
            "SIPRI (Stockholm)"
        )
        assert annotate(desk, "check", monkeypatch=monkeypatch).exit_code == 0
    # Each commit is authored by the reviewer who made the change.
    authors = sh(a, "log", "--format=%an", "origin/main").split()
    assert {"ann", "bea"} <= set(authors)
    # Both clones are where the remote is: nothing waits to be pushed or pulled.
    assert (
        sh(a, "rev-parse", "HEAD")
        == sh(b, "rev-parse", "HEAD")
        == sh(a, "rev-parse", "origin/main")
    )


def test_two_final_verdicts_become_a_decision_in_the_pages(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    ann, bea = app_of(a, "ann"), app_of(b, "bea")
    assert set_verdict(ann, "denied", "Refuted by ANAMA.", [REFUTE]).status_code == 200
    assert set_verdict(bea, "disputed", "Both ways.", [REFUTE, SUPPORT]).status_code == 200
    assert annotate(a, "sync", monkeypatch=monkeypatch).exit_code == 0
    synced = annotate(b, "sync", monkeypatch=monkeypatch)
    assert synced.exit_code == 1, synced.output  # a decision waits
    assert f"conflict: {CLAIM}" in synced.output
    stored = json.loads((b / "fixtures" / f"{CLAIM}.json").read_text())
    assert stored["verdict"] == "disputed"  # ours in place
    (conflict,) = stored["conflicts"]
    assert conflict["field"] == "verdict"
    assert conflict["theirs"]["verdict"] == "denied" and conflict["ours"]["verdict"] == "disputed"
    # Both sides' sources are kept (sets merge); check fails, naming the decision.
    assert {s.get("url") for s in stored["sources"]} >= {REFUTE["url"], SUPPORT["url"]}
    checked = annotate(b, "check", monkeypatch=monkeypatch)
    assert checked.exit_code == 1 and "merge-conflict" in checked.output
    assert f"annotate resolve {CLAIM} 0" in checked.output
    # The page shows the decision; taking theirs settles it.
    client = app_of(b, "bea")
    panel = page(client.get(f"/documents/{DOC_AZERNEWS}?claim={CLAIM}"))
    assert panel.one("section", data_conflicts="1") is not None
    resp = client.post(
        f"/claims/{CLAIM}/conflicts/0",
        data={"take": "theirs", "version": str(version(client)), "csrf_token": csrf(client)},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)
    done = client.get(f"/api/claims/{CLAIM}").get_json()
    assert done["verdict"] == "denied" and "conflicts" not in done
    assert client.get(f"/api/claims/{CLAIM}/history").get_json()[-1]["action"] == "resolved"
    assert annotate(b, "check", monkeypatch=monkeypatch).exit_code == 0
    assert annotate(b, "sync", monkeypatch=monkeypatch).exit_code == 0
    assert annotate(a, "sync", monkeypatch=monkeypatch).exit_code == 0
    assert json.loads((a / "fixtures" / f"{CLAIM}.json").read_text())["verdict"] == "denied"


def deleted_on_a_edited_on_b(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    """Two desks: Ann deletes LONE and syncs, Bea gives it a verdict (not synced yet); Bea's
    desk and client."""
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    ann, bea = app_of(a, "ann"), app_of(b, "bea")
    assert (
        ann.delete(
            f"/api/claims/{LONE}", headers={"If-Match": f'"{version(ann, LONE)}"'}
        ).status_code
        == 204
    )
    assert set_verdict(bea, "denied", "Still refuted.", [REFUTE], LONE).status_code == 200
    assert annotate(a, "sync", monkeypatch=monkeypatch).exit_code == 0
    return b, bea


def test_a_deletion_on_one_side_and_an_edit_on_the_other_becomes_a_decision(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b, bea = deleted_on_a_edited_on_b(remote, tmp_path, monkeypatch)
    synced = annotate(b, "sync", monkeypatch=monkeypatch)
    assert synced.exit_code == 1, synced.output  # a decision waits
    assert not (b / ".git" / "MERGE_HEAD").exists() and sh(b, "status", "--porcelain") == ""
    # Bea's edit is kept whole, with the deletion as the decision to take.
    stored = json.loads((b / "fixtures" / f"{LONE}.json").read_text())
    assert stored["rationale"] == "Still refuted."
    assert stored["conflicts"][0]["field"] == "deleted"
    assert stored["conflicts"][0]["theirs"] == "deleted"
    client = app_of(b, "bea")
    resp = client.post(
        f"/claims/{LONE}/conflicts/0",
        data={"take": "theirs", "version": str(version(client, LONE)), "csrf_token": csrf(client)},
    )
    assert resp.status_code == 303
    assert client.get(f"/api/claims/{LONE}").status_code == 404
    assert list((b / "fixtures" / ".trash").glob(f"{LONE}*"))  # kept, with its history
    assert annotate(b, "sync", monkeypatch=monkeypatch).exit_code == 0
    assert annotate(b, "check", monkeypatch=monkeypatch).exit_code == 0


def test_taking_the_deletion_of_a_claim_linked_to_meanwhile_is_refused_like_a_delete(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    b, bea = deleted_on_a_edited_on_b(remote, tmp_path, monkeypatch)
    assert annotate(b, "sync", monkeypatch=monkeypatch).exit_code == 1  # a decision waits
    # Before deciding, Bea links another claim to the one Ann deleted.
    relations = bea.get(f"/api/claims/{CLAIM}").get_json().get("relations", [])
    linked = bea.patch(
        f"/api/claims/{CLAIM}",
        json={"relations": [*relations, {"kind": "supports", "claim": LONE}]},
        headers={"If-Match": f'"{version(bea, CLAIM)}"'},
    )
    assert linked.status_code == 200, linked.get_json()
    before = (b / "fixtures" / f"{LONE}.json").read_bytes()
    refused = annotate(b, "resolve", LONE, "0", "--take", "theirs", monkeypatch=monkeypatch)
    assert refused.exit_code == 1
    assert f"claim {LONE} is linked to by {CLAIM}" in refused.output
    page = bea.post(
        f"/claims/{LONE}/conflicts/0",
        data={"take": "theirs", "version": str(version(bea, LONE)), "csrf_token": csrf(bea)},
    )
    assert page.status_code == 409
    assert f"{CLAIM}: remove their relations to it first" in page.get_data(as_text=True)
    assert (b / "fixtures" / f"{LONE}.json").read_bytes() == before  # nothing changed
    assert bea.get(f"/api/claims/{LONE}").get_json()["conflicts"][0]["field"] == "deleted"
    # Keeping the claim decides it; the link stands.
    kept = annotate(b, "resolve", LONE, "0", "--take", "ours", monkeypatch=monkeypatch)
    assert kept.exit_code == 0, kept.output
    assert annotate(b, "check", monkeypatch=monkeypatch).exit_code == 0


def test_a_text_conflict_git_cannot_hand_to_the_driver_is_undone_whole(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    for desk, words in ((a, "ours"), (b, "theirs")):
        path = desk / "README.md"
        path.write_text(path.read_text() + f"\n{words}\n")
        sh(desk, "commit", "-q", "-am", f"readme: {words}")
    assert annotate(a, "sync", monkeypatch=monkeypatch).exit_code == 0
    head = sh(b, "rev-parse", "HEAD")
    refused = annotate(b, "sync", monkeypatch=monkeypatch)
    assert refused.exit_code == 2
    assert "merge was undone" in refused.output and "your commits are kept" in refused.output
    assert not (b / ".git" / "MERGE_HEAD").exists()
    assert sh(b, "rev-parse", "HEAD") == head and sh(b, "status", "--porcelain") == ""


def test_sync_refuses_changes_it_did_not_make_and_a_missing_remote(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = clone(remote, tmp_path / "a")
    (a / "notes.txt").write_text("mine")
    before = sh(a, "rev-parse", "HEAD")
    refused = annotate(a, "sync", monkeypatch=monkeypatch)
    assert refused.exit_code == 2 and "notes.txt" in refused.output
    assert sh(a, "rev-parse", "HEAD") == before
    (a / "notes.txt").unlink()
    missing = annotate(a, "sync", "--remote", "elsewhere", monkeypatch=monkeypatch)
    assert missing.exit_code == 2 and "no git remote 'elsewhere'" in missing.output


def test_diff_prints_the_corrections_between_two_revisions(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = clone(remote, tmp_path / "a")
    ann = app_of(a, "ann")
    assert set_verdict(ann, "disputed", "Now both ways.", [REFUTE, SUPPORT]).status_code == 200
    assert annotate(a, "sync", "-m", "Correction", monkeypatch=monkeypatch).exit_code == 0
    text = annotate(a, "diff", "HEAD~1", "HEAD", monkeypatch=monkeypatch)
    assert text.exit_code == 0, text.output
    assert f"~ {CLAIM}: verdict denied -> disputed by ann" in text.output
    assert "Now both ways." in text.output
    md = annotate(a, "diff", "HEAD~1", "HEAD", "--format", "markdown", monkeypatch=monkeypatch)
    assert "### Verdicts changed" in md.output and "denied → **disputed**, ann" in md.output
    data = json.loads(
        annotate(a, "diff", "HEAD~1", "--format", "json", monkeypatch=monkeypatch).output
    )  # to the work tree, which is HEAD
    assert [(c["id"], c["verdict"], c["reviewer"]) for c in data] == [
        (CLAIM, {"old": "denied", "new": "disputed"}, "ann")
    ]
    none = annotate(a, "diff", "HEAD", monkeypatch=monkeypatch)
    assert "no verdict changed" in none.output
    bad = annotate(a, "diff", "no-such-rev", monkeypatch=monkeypatch)
    assert bad.exit_code == 2


def test_the_merge_driver_combines_two_reviewers_reviews(
    tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run as git runs it, on three versions of one claim file."""
    base = workdir / "fixtures" / f"{CLAIM}.json"
    original = json.loads(base.read_text())
    client = make_app(workdir, REVIEWER="ann", REQUIRED_REVIEWS=3).test_client()
    resp = client.put(
        f"/api/claims/{CLAIM}/review",
        json={"verdict": "denied", "rationale": "Mine.", "sources": [REFUTE]},
        headers={"If-Match": f'"{original["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    ours = tmp_path / "ours.json"
    shutil.copy(base, ours)
    # The other side: bea's review on the same base.
    (tmp_path / "base.json").write_text(json.dumps(original))
    theirs_data = json.loads(json.dumps(original))
    theirs_data["reviews"] = {
        "bea": {
            "verdict": "denied",
            "rationale": "Hers.",
            "sources": [REFUTE],
            "reviewed_at": "2026-12-01T10:00:00Z",
        }
    }
    theirs_data["version"] = original["version"] + 1
    (tmp_path / "theirs.json").write_text(json.dumps(theirs_data))
    done = CliRunner().invoke(
        cli,
        [
            "merge-driver",
            str(tmp_path / "base.json"),
            str(ours),
            str(tmp_path / "theirs.json"),
            "x",
        ],
    )
    assert done.exit_code == 0, done.output
    merged = json.loads(ours.read_text())
    assert sorted(merged["reviews"]) == ["ann", "bea"]
    assert merged["version"] == original["version"] + 2
    assert "conflicts" not in merged
    # A side that is not a claim: git keeps its own conflict, ours untouched.
    (tmp_path / "broken.json").write_text("{not json")
    before = ours.read_bytes()
    bad = CliRunner().invoke(
        cli, ["merge-driver", str(tmp_path / "base.json"), str(ours), str(tmp_path / "broken.json")]
    )
    assert bad.exit_code == 1 and "cannot merge" in bad.output
    assert ours.read_bytes() == before


def test_init_existing_registers_the_merge_driver(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = clone(remote, tmp_path / "a")
    result = annotate(a, "init", ".", "--existing", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    assert "registered the merge driver" in result.output
    assert (
        sh(a, "config", "--get", "merge.annotate-claim.driver")
        .strip()
        .endswith("-m annotate merge-driver %O %A %B %P")
    )
    assert "fixtures/*.json merge=annotate-claim" in (a / ".gitattributes").read_text()


def test_a_server_syncing_in_the_background_shows_what_arrived_and_pushes_its_own(
    remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import sys
    import time
    import urllib.request

    a, b = clone(remote, tmp_path / "a"), clone(remote, tmp_path / "b")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "annotate",
            "serve",
            "--port",
            "0",
            "--reviewer",
            "Rita",
            "--sync-every",
            "5",
        ],
        cwd=a,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:
            found = re.search(r"Open (http://\S+)/", line)
            if found:
                url = found.group(1)
                break
        assert url

        def get(path: str) -> Any:
            with urllib.request.urlopen(url + path, timeout=10) as resp:
                return json.loads(resp.read())

        # A change at the other desk, synced there, shows up in this server's pages.
        bea = app_of(b, "bea")
        assert set_verdict(bea, "disputed", "Both ways.", [REFUTE, SUPPORT]).status_code == 200
        assert annotate(b, "sync", monkeypatch=monkeypatch).exit_code == 0
        deadline = time.monotonic() + 40
        while get(f"/api/claims/{CLAIM}")["verdict"] != "disputed":
            assert time.monotonic() < deadline, "the server never showed the synced change"
            time.sleep(0.5)
        # A change made on this server is pushed by it.
        other = "armenia-first-foreign-iskander-operator-2016"
        claim = get(f"/api/claims/{other}")
        req = urllib.request.Request(
            f"{url}/api/claims/{other}",
            data=json.dumps({"claimant": "SIPRI (Stockholm)"}).encode(),
            method="PATCH",
            headers={"Content-Type": "application/json", "If-Match": f'"{claim["version"]}"'},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200
        deadline = time.monotonic() + 40
        while True:
            assert annotate(b, "sync", monkeypatch=monkeypatch).exit_code == 0
            if json.loads((b / "fixtures" / f"{other}.json").read_text())["claimant"] == (
                "SIPRI (Stockholm)"
            ):
                break
            assert time.monotonic() < deadline, "the server never pushed its change"
            time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _merge(tmp_path: Path, base: dict[str, Any], ours: dict[str, Any], theirs: Any) -> Result:
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    return CliRunner().invoke(
        cli,
        ["merge-driver", *(str(tmp_path / f"{n}.json") for n in ("base", "ours", "theirs")), "x"],
    )


def _side(original: dict[str, Any], **fields: Any) -> dict[str, Any]:
    side = json.loads(json.dumps(original))
    side.update(fields, version=original["version"] + 1)
    return side


def test_the_merge_driver_merges_relations_per_linked_claim(
    tmp_path: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = "kremlin-iskanders-not-used"  # the shipped record: it repeats the MoD's denial
    original = json.loads((workdir / "fixtures" / f"{cid}.json").read_text())
    kept = original["relations"]
    putin = {"kind": "repeats", "claim": "putin-said-iskanders-not-used"}
    fired = {"kind": "contradicts", "claim": "iskander-missile-fired-at-shusha"}
    # Each side adds a link: both are kept, no conflict.
    done = _merge(
        tmp_path,
        original,
        _side(original, relations=[*kept, putin]),
        _side(original, relations=[*kept, fired]),
    )
    assert done.exit_code == 0, done.output
    merged = json.loads((tmp_path / "ours.json").read_text())
    assert merged["relations"] == [*kept, putin, fired]
    assert "conflicts" not in merged
    # One side removes the old link, the other adds one: the link goes, the new one stays.
    _merge(
        tmp_path, original, _side(original, relations=[]), _side(original, relations=[*kept, fired])
    )
    assert json.loads((tmp_path / "ours.json").read_text())["relations"] == [fired]
    # The same link changed two ways, and the question named two ways: conflicts to decide.
    mod = kept[0]["claim"]
    store = workdir / "fixtures" / f"{cid}.json"
    done = _merge(
        tmp_path,
        original,
        _side(
            original,
            relations=[{"kind": "supports", "claim": mod}],
            question={"name": "A?", "answer": "no"},
        ),
        _side(
            original,
            relations=[{"kind": "contradicts", "claim": mod}],
            question={"name": "B?", "answer": "no"},
        ),
    )
    assert done.exit_code == 0, done.output
    merged = json.loads((tmp_path / "ours.json").read_text())
    assert merged["relations"] == [{"claim": mod, "kind": "supports"}]  # ours in place
    fields = {c["field"]: c for c in merged["conflicts"]}
    assert sorted(fields) == ["question", f"relations.{mod}"]
    assert (fields[f"relations.{mod}"]["base"], fields[f"relations.{mod}"]["theirs"]) == (
        "repeats",
        "contradicts",
    )
    # Decided through the command line: theirs taken, the link's kind is theirs.
    store.write_text((tmp_path / "ours.json").read_text())
    at = [c["field"] for c in merged["conflicts"]].index(f"relations.{mod}")
    result = annotate(workdir, "resolve", cid, str(at), "--take", "theirs", monkeypatch=monkeypatch)
    assert result.exit_code == 0, result.output
    resolved = json.loads(store.read_text())
    assert resolved["relations"] == [{"claim": mod, "kind": "contradicts"}]
    assert [c["field"] for c in resolved["conflicts"]] == ["question"]
