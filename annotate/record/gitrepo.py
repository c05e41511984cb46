"""The record in git: desks that sync through a remote (`annotate sync`), the verdict changes
between two revisions (`annotate diff`), and the merge driver git calls for claim files.

Git is driven through its own command line (`git`, run as a subprocess), never reimplemented:
it is what every desk has, it runs the merge driver, hooks and credentials the desk set up,
and its porcelain output is stable (see docs/development.md for why not a library).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, detail
from . import clock
from .merge import Unmergeable, merge_claims
from .models import Claim
from .store.claimfile import dumps

DRIVER = "annotate-claim"
"""The merge driver's name in `.gitattributes` and git's config."""

ATTRIBUTES_LINE = f"fixtures/*.json merge={DRIVER}"
"""What `.gitattributes` says for the store's claim files (a desk's store is `fixtures/`)."""

DRIVER_CONFIG = {
    f"merge.{DRIVER}.name": "annotate: merge claim files field by field",
    # This Python's annotate, whatever the PATH of the git that runs it.
    f"merge.{DRIVER}.driver": f"{shlex.quote(sys.executable)} -m annotate merge-driver %O %A %B %P",
}


class GitProblem(InvalidInput):
    """Git refused, or the repository is not in a state to work on (nothing was changed)."""


def git(root: Path, *args: str, check: bool = True, input: str | None = None) -> str:
    """Run `git ARGS` in `root`; its standard output.

    :raise GitProblem: git failed (with its own message), when `check`.
    """
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            env=env,
            input=input,
            check=False,
        )
    except FileNotFoundError:
        raise GitProblem(
            "git is not installed: install it (apt-get install git)", [detail("git", "missing")]
        ) from None
    if check and done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise GitProblem(
            f"git {args[0]}: {message[-1] if message else 'failed'}",
            [detail("git", " ".join(args[:2]))],
        )
    return done.stdout


def repository(folder: Path) -> Path:
    """The root of the git work tree that holds `folder`. :raise GitProblem: none."""
    try:
        out = git(folder, "rev-parse", "--show-toplevel")
    except GitProblem:
        raise GitProblem(
            f"'{folder}' is not in a git repository: `git init` it, or clone the desk",
            [detail("store", "not in a git repository")],
        ) from None
    return Path(out.strip())


def configure_driver(root: Path) -> None:
    """Register the merge driver in this clone's git config (each clone needs it once)."""
    for key, value in DRIVER_CONFIG.items():
        git(root, "config", key, value)


def driver_configured(root: Path) -> bool:
    """Whether this clone runs the merge driver."""
    return (
        git(root, "config", "--get", f"merge.{DRIVER}.driver", check=False).strip()
        == (DRIVER_CONFIG[f"merge.{DRIVER}.driver"])
    )


# -- the merge driver ------------------------------------------------------------------------


def merge_file(
    base: Path, ours: Path, theirs: Path, by: str = "annotate merge-driver"
) -> list[str]:
    """Merge three versions of a claim file into `ours` (git's %O %A %B); the fields that
    conflict (recorded in the claim, to decide).

    :raise Unmergeable: a side is not a claim, or no valid claim can be made of them (`ours`
    is left as it was).
    """

    def load(path: Path) -> dict[str, Any] | None:
        raw = path.read_bytes()
        if not raw.strip():
            return None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise Unmergeable(f"{path.name} is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise Unmergeable(f"{path.name} is not a claim")
        return data

    o, a, b = load(base), load(ours), load(theirs)
    if a is None or b is None:
        raise Unmergeable("one side is empty")
    claim, conflicts = merge_claims(o, a, b, clock.now(), by)
    tmp = ours.with_name(ours.name + ".annotate-merge")
    tmp.write_text(dumps(claim), encoding="utf-8")
    os.replace(tmp, ours)
    return conflicts


# -- claims at a revision --------------------------------------------------------------------


def claims_at(root: Path, store: Path, rev: str | None) -> dict[str, dict[str, Any]]:
    """Every claim file of the store (parsed JSON, by id) at revision `rev`, or as the work
    tree has it (`rev` None). A file that is not valid JSON is left out.

    :raise GitProblem: an unknown revision.
    """
    rel = os.path.relpath(store.resolve(), root.resolve())
    out: dict[str, dict[str, Any]] = {}
    if rev is None:
        for path in sorted(store.glob("*.json")):
            if not path.name.startswith("."):
                _add(out, path.stem, path.read_bytes())
        return out
    git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    folder = "" if rel == "." else rel
    names = [
        n
        for n in git(root, "ls-tree", "-r", "--name-only", rev, "--", rel).splitlines()
        if n.endswith(".json")
        and os.path.dirname(n) == folder
        and not os.path.basename(n).startswith(".")
    ]
    for name in names:
        blob = subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=root, capture_output=True, check=False
        )
        if blob.returncode == 0:
            _add(out, Path(name).stem, blob.stdout)
    return out


def _add(out: dict[str, dict[str, Any]], stem: str, raw: bytes) -> None:
    try:
        data = json.loads(raw)
    except ValueError:
        return
    if isinstance(data, dict):
        out[str(data.get("id") or stem)] = data


# -- diff ------------------------------------------------------------------------------------


@dataclass
class ClaimChange:
    """What changed in one claim between two revisions."""

    id: str
    statement: str
    kind: str  # added | removed | changed
    verdict: tuple[str | None, str | None] = (None, None)
    reviewer: str | None = None
    reviewed_at: str | None = None
    rationale: str | None = None
    reviews: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    orphaned: list[str] = field(default_factory=list)


def _orphans(data: dict[str, Any]) -> set[str]:
    return {
        f"appearances[{i}]"
        for i, a in enumerate(data.get("appearances") or [])
        if isinstance(a, dict) and a.get("orphaned")
    }


def _review_verdicts(data: dict[str, Any]) -> dict[str, str | None]:
    return {n: (r or {}).get("verdict") for n, r in (data.get("reviews") or {}).items()}


def changes(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[ClaimChange]:
    """The verdict changes from `old` to `new` (claims by id), by id: claims added and
    removed, final verdicts changed, reviews changed, appearances newly orphaned."""
    out = []
    for cid in sorted(set(old) | set(new)):
        a, b = old.get(cid), new.get(cid)
        if a is None and b is not None:
            out.append(
                ClaimChange(
                    cid,
                    str(b.get("statement", "")),
                    "added",
                    (None, b.get("verdict")),
                    b.get("reviewer"),
                    b.get("reviewed_at"),
                    b.get("rationale"),
                )
            )
            continue
        if b is None and a is not None:
            out.append(
                ClaimChange(cid, str(a.get("statement", "")), "removed", (a.get("verdict"), None))
            )
            continue
        assert a is not None and b is not None
        ra, rb = _review_verdicts(a), _review_verdicts(b)
        reviews = {
            n: (ra.get(n), rb.get(n))
            for n in sorted(set(ra) | set(rb))
            if (a.get("reviews") or {}).get(n) != (b.get("reviews") or {}).get(n)
        }
        orphaned = sorted(_orphans(b) - _orphans(a))
        verdict_changed = (a.get("verdict"), a.get("rationale")) != (
            b.get("verdict"),
            b.get("rationale"),
        )
        if verdict_changed or reviews or orphaned:
            out.append(
                ClaimChange(
                    cid,
                    str(b.get("statement", "")),
                    "changed",
                    (a.get("verdict"), b.get("verdict")),
                    b.get("reviewer") if verdict_changed else None,
                    b.get("reviewed_at") if verdict_changed else None,
                    b.get("rationale") if verdict_changed else None,
                    reviews,
                    orphaned,
                )
            )
    return out


def _v(value: str | None) -> str:
    return value or "unreviewed"


def diff_text(found: list[ClaimChange], title: str) -> str:
    """The changes for a terminal."""
    lines = [title]
    for c in found:
        if c.kind == "added":
            lines.append(f"+ {c.id}: added ({_v(c.verdict[1])})")
        elif c.kind == "removed":
            lines.append(f"- {c.id}: removed (was {_v(c.verdict[0])})")
        else:
            if c.verdict[0] != c.verdict[1] or c.rationale:
                who = f" by {c.reviewer}" if c.reviewer else ""
                when = f" at {c.reviewed_at}" if c.reviewed_at else ""
                lines.append(
                    f"~ {c.id}: verdict {_v(c.verdict[0])} -> {_v(c.verdict[1])}{who}{when}"
                )
                if c.rationale:
                    lines.append(f"    {c.rationale}")
            for name, (x, y) in c.reviews.items():
                lines.append(f"~ {c.id}: {name}'s review {x or 'none'} -> {y or 'withdrawn'}")
            for f in c.orphaned:
                lines.append(f"! {c.id}: {f} orphaned (its quote is no longer in its article)")
    if not found:
        lines.append("no verdict changed")
    return "\n".join(lines) + "\n"


def diff_markdown(found: list[ClaimChange], title: str) -> str:
    """The changes as Markdown: for a pull request's comment, or a published corrections
    page."""
    lines = [f"## {title}", ""]
    if not found:
        return "\n".join([*lines, "No verdict changed.", ""])
    groups = [
        (
            "Verdicts changed",
            [c for c in found if c.kind == "changed" and c.verdict[0] != c.verdict[1]],
        ),
        ("Claims added", [c for c in found if c.kind == "added"]),
        ("Claims removed", [c for c in found if c.kind == "removed"]),
        (
            "Other changes",
            [c for c in found if c.kind == "changed" and c.verdict[0] == c.verdict[1]],
        ),
    ]
    for heading, items in groups:
        if not items:
            continue
        lines += [f"### {heading}", ""]
        for c in items:
            statement = c.statement.replace("\n", " ")
            if c.kind == "changed" and c.verdict[0] != c.verdict[1]:
                by = f", {c.reviewer}" if c.reviewer else ""
                lines.append(
                    f"- **{statement}** (`{c.id}`): {_v(c.verdict[0])} → "
                    f"**{_v(c.verdict[1])}**{by}"
                    + (f" ({c.reviewed_at[:10]})" if c.reviewed_at else "")
                )
                if c.rationale:
                    lines.append(f"  > {c.rationale.replace(chr(10), ' ')}")
            elif c.kind == "added":
                lines.append(f"- **{statement}** (`{c.id}`): {_v(c.verdict[1])}")
            elif c.kind == "removed":
                lines.append(f"- ~~{statement}~~ (`{c.id}`), was {_v(c.verdict[0])}")
            else:
                parts = [
                    f"{n}'s review {x or 'none'} → {y or 'withdrawn'}"
                    for n, (x, y) in c.reviews.items()
                ]
                if c.rationale:
                    parts.append("rationale revised")
                parts += [f"{f} orphaned" for f in c.orphaned]
                lines.append(f"- {statement} (`{c.id}`): {'; '.join(parts)}")
        lines.append("")
    return "\n".join(lines)


def diff_json(found: list[ClaimChange]) -> list[dict[str, Any]]:
    """The changes as JSON-ready objects."""
    return [
        {
            "id": c.id,
            "statement": c.statement,
            "kind": c.kind,
            "verdict": {"old": c.verdict[0], "new": c.verdict[1]},
            "reviewer": c.reviewer,
            "reviewed_at": c.reviewed_at,
            "rationale": c.rationale,
            "reviews": {n: {"old": x, "new": y} for n, (x, y) in c.reviews.items()},
            "orphaned": c.orphaned,
        }
        for c in found
    ]


# -- sync ------------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What `sync` did."""

    committed: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    conflicted: list[str] = field(default_factory=list)
    pushed: bool = False
    commits: int = 0

    def text(self) -> str:
        parts = [
            f"committed {len(self.committed)} claim(s) in {self.commits} commit(s)",
            f"merged {len(self.merged)}",
            f"conflicts to decide in {len(self.conflicted)}",
            "pushed" if self.pushed else "nothing to push",
        ]
        out = "sync: " + ", ".join(parts) + "\n"
        for cid in self.conflicted:
            out += f"conflict: {cid} (decide in its claim panel, or `annotate resolve`)\n"
        return out


def _author(path: Path) -> str | None:
    try:
        data = json.loads(path.read_bytes())
        return str(data["history"][-1]["by"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _ident(name: str) -> str:
    local = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in name) or "reviewer"
    return f"{name} <{local}@annotate.invalid>"


def _status(root: Path) -> list[tuple[str, str]]:
    """`git status --porcelain` as (code, path) pairs."""
    out = []
    for line in git(root, "status", "--porcelain", "--untracked-files=all", "-z").split("\0"):
        if line:
            out.append((line[:2], line[3:]))
    return out


def _settle_deletions(root: Path, store_rel: str, identity: list[str]) -> bool:
    """After a merge git could not finish: when every file left unmerged is a claim deleted
    on one side and changed on the other, keep the changed claim with the deletion as a
    conflict to decide (`deleted`), and conclude the merge. Whether it did."""
    entries: dict[str, set[int]] = {}
    for line in git(root, "ls-files", "-u", "-z").split("\0"):
        if line:
            meta, path = line.split("\t", 1)
            entries.setdefault(path, set()).add(int(meta.split()[2]))
    folder = store_rel.rstrip("/") + "/" if store_rel != "." else ""
    if not entries:
        return False
    for path, stages in entries.items():
        in_store = path.startswith(folder) and "/" not in path[len(folder) :]
        if not (in_store and path.endswith(".json") and stages in ({1, 2}, {1, 3})):
            return False
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    for path, stages in entries.items():
        kept = 2 if 2 in stages else 3
        raw = git(root, "show", f":{kept}:{path}")
        try:
            data = json.loads(raw)
        except ValueError:
            return False
        if not isinstance(data, dict):
            return False
        ours, theirs = ("kept", "deleted") if kept == 2 else ("deleted", "kept")
        data.setdefault("conflicts", []).append(
            {"field": "deleted", "base": "kept", "ours": ours, "theirs": theirs, "at": stamp}
        )
        try:
            claim = Claim.model_validate(data)
        except ValueError:
            return False
        (root / path).write_text(dumps(claim), encoding="utf-8")
        git(root, "add", "--", path)
    git(root, *identity, "commit", "-q", "--no-edit")
    return True


def sync(
    store: Path, corpus: Path, remote: str = "origin", message: str | None = None
) -> SyncReport:
    """Commit the store's and the corpus's changes (one commit per reviewer, authored by
    them, the message listing the claims), fetch `remote`, merge it with the merge driver,
    and push.

    Refuses, changing nothing, when the repository has changes outside the store and the
    corpus, staged changes, a merge in progress, or no such remote; a merge that git cannot
    finish is undone (`git merge --abort`) and reported, the local commits kept.

    :raise GitProblem:
    """
    root = repository(store)
    report = SyncReport()
    if not git(root, "remote", check=False).split().count(remote):
        raise GitProblem(
            f"no git remote '{remote}': add one (git remote add {remote} URL) or name another "
            "with --remote",
            [detail("remote", f"no remote '{remote}'")],
        )
    if (root / ".git" / "MERGE_HEAD").exists():
        raise GitProblem(
            "a merge is in progress in this repository: finish or abort it first",
            [detail("git", "merge in progress")],
        )
    mine = [os.path.relpath(p.resolve(), root.resolve()) for p in (store, corpus)]

    def ours(path: str) -> bool:
        return any(path == m or path.startswith(m.rstrip("/") + "/") for m in mine)

    status = _status(root)
    staged = [p for code, p in status if code[0] not in (" ", "?")]
    foreign = [p for _, p in status if not ours(p)]
    if staged or foreign:
        named = ", ".join((staged or foreign)[:5])
        raise GitProblem(
            f"the repository has changes sync did not make ({named}): commit or stash them "
            "first; nothing was done",
            [detail("git", "dirty work tree")],
        )
    if not driver_configured(root):
        configure_driver(root)
    identity = ["-c", "user.name=annotate sync", "-c", "user.email=sync@annotate.invalid"]
    # One commit per reviewer: the claim files whose last change is theirs.
    by_author: dict[str, list[str]] = {}
    for code, path in status:
        if path.endswith(".tmp") or "/.annotate-tmp/" in f"/{path}":
            continue
        author = _author(root / path) if code.strip() != "D" and path.endswith(".json") else None
        by_author.setdefault(author or "annotate sync", []).append(path)
    for author in sorted(by_author):
        paths = by_author[author]
        git(root, "add", "-A", "--", *paths)
        claims = sorted(Path(p).stem for p in paths if p.endswith(".json") and ours(p))
        subject = message or f"annotate sync: {len(claims)} change(s) by {author}"
        body = "\n".join(f"- {c}" for c in claims)
        git(
            root,
            *identity,
            "commit",
            "-q",
            "--author",
            _ident(author),
            "-m",
            subject,
            "-m",
            body or "-",
        )
        report.commits += 1
        report.committed += [c for c in claims if c not in report.committed]
    branch = git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(root, "fetch", "-q", remote)
    upstream = f"{remote}/{branch}"
    has_upstream = git(root, "rev-parse", "--verify", "--quiet", upstream, check=False).strip()
    if has_upstream:
        before = git(root, "rev-parse", "HEAD").strip()
        merged = subprocess.run(
            # No rename detection: a claim deleted into `.trash/` is a deletion (git would
            # take it for a rename, and carry an edit of the claim into the trash file).
            # git 2.39's `ort` strategy ignores `no-renames`; `recursive` honours it.
            [
                "git",
                *identity,
                "-c",
                "merge.renames=false",
                "merge",
                "-q",
                "--no-edit",
                "-s",
                "recursive",
                "-X",
                "no-renames",
                upstream,
            ],
            cwd=root,
            capture_output=True,
            text=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
        if merged.returncode != 0 and not _settle_deletions(root, mine[0], identity):
            git(root, "merge", "--abort", check=False)
            raise GitProblem(
                f"git could not merge {upstream} (a conflict the claim merge driver cannot "
                "settle, in a file that is not a claim, or a claim file that is not valid): "
                "the merge was undone, your commits are kept; merge by hand with `git merge "
                f"{upstream}`",
                [detail("git", "merge failed")],
            )
        changed = git(root, "diff", "--name-only", before, "HEAD").splitlines()
        store_rel = mine[0].rstrip("/") + "/"
        for path in changed:
            if path.startswith(store_rel) and path.endswith(".json"):
                report.merged.append(Path(path).stem)
    for claim_file in sorted(store.glob("*.json")):
        try:
            data = json.loads(claim_file.read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("conflicts"):
            report.conflicted.append(claim_file.stem)
    ahead = git(root, "rev-list", "--count", f"{upstream}..HEAD" if has_upstream else "HEAD")
    if int(ahead.strip() or 0):
        pushed = subprocess.run(
            ["git", "push", "-q", remote, f"HEAD:{branch}"],
            cwd=root,
            capture_output=True,
            text=True,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
            check=False,
        )
        if pushed.returncode != 0:
            raise GitProblem(
                f"the push to {remote} was refused ({pushed.stderr.strip().splitlines()[-1:]}):"
                " run sync again to merge what arrived meanwhile; your commits are kept",
                [detail("git", "push rejected")],
            )
        report.pushed = True
    return report
