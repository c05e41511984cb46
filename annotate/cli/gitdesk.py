"""Desks that sync through git: `annotate merge-driver` (what git runs to merge a claim file),
`annotate sync`, `annotate diff` and `annotate resolve`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import AnnotateError
from ..record.gitrepo import (
    GitProblem,
    changes,
    claims_at,
    diff_json,
    diff_markdown,
    diff_text,
    merge_file,
    repository,
    sync,
)
from ..record.merge import Unmergeable
from ..record.service import Workspace
from .options import CONTEXT, workspace_options


@click.command(name="merge-driver", context_settings=CONTEXT)
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("path", required=False, default="")
def merge_driver(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """Merge a claim file field by field (git runs it: `annotate merge-driver %O %A %B %P`).

    Changes to different fields, and different reviewers' reviews, combine; appearances and
    sources merge as sets; the histories by time. The same field changed two ways is kept,
    both sides, in the claim's `conflicts` for a decision (exit 0: the file is a valid
    claim, and `annotate check` reports the conflict). Exit 1 when no valid claim can be made
    of the sides: git then keeps its own conflict.
    """
    name = path or ours.name
    try:
        conflicts = merge_file(base if base.exists() else Path("/dev/null"), ours, theirs)
    except Unmergeable as exc:
        click.echo(f"annotate merge-driver: {name}: cannot merge: {exc}", err=True)
        sys.exit(1)
    if conflicts:
        click.echo(
            f"annotate merge-driver: {name}: merged; conflicts to decide: {', '.join(conflicts)}",
            err=True,
        )


@click.command(name="diff", context_settings=CONTEXT)
@workspace_options
@click.argument("rev")
@click.argument("rev2", required=False)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="markdown fits a pull request's comment or a published corrections page.",
)
def diff_cmd(ws: Workspace, rev: str, rev2: str | None, fmt: str) -> None:
    """The verdict changes of the store between two git revisions (REV to REV2, or to the
    work tree): claims added and removed, final verdicts changed (old -> new, who, when, the
    rationale), reviews changed, appearances newly orphaned."""
    try:
        root = repository(ws.store.root)
        old = claims_at(root, ws.store.root, rev)
        new = claims_at(root, ws.store.root, rev2)
    except GitProblem as exc:
        raise click.UsageError(exc.message) from None
    found = changes(old, new)
    title = f"Corrections from {rev} to {rev2 or 'the work tree'}"
    if fmt == "json":
        click.echo(json.dumps(diff_json(found), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(diff_markdown(found, title), nl=False)
    else:
        click.echo(diff_text(found, title), nl=False)


@click.command(name="sync", context_settings=CONTEXT)
@workspace_options
@click.option("--remote", default="origin", show_default=True, help="The git remote.")
@click.option("--message", "-m", default=None, help="The commit message's subject.")
def sync_cmd(ws: Workspace, remote: str, message: str | None) -> None:
    """Commit the store's and the corpus's changes (one commit per reviewer, authored by
    them), fetch REMOTE, merge it (claim files with the merge driver) and push; report what
    was committed, merged and pushed, and the claims with conflicts to decide.

    Refuses, doing nothing, on changes outside the store and the corpus, staged changes, a
    merge in progress, or a missing remote; a merge git cannot finish is undone. Exit 0 when
    synced, 1 when conflicts wait for a decision, 2 when refused."""
    try:
        report = sync(ws.store.root, ws.corpus.root, remote, message)
    except GitProblem as exc:
        click.echo(f"annotate sync: {exc.message}", err=True)
        sys.exit(2)
    click.echo(report.text(), nl=False)
    sys.exit(1 if report.conflicted else 0)


@click.command(name="resolve", context_settings=CONTEXT)
@workspace_options
@click.argument("claim_id")
@click.argument("index", type=int)
@click.option("--take", type=click.Choice(["ours", "theirs"]), required=True)
@click.option("--reviewer", default="annotate resolve", show_default=True)
def resolve(ws: Workspace, claim_id: str, index: int, take: str, reviewer: str) -> None:
    """Decide the merge conflict number INDEX of a claim (as `annotate check` lists them):
    keep ours (the value in place) or take theirs."""
    try:
        claim = ws.claim(claim_id)
        done = ws.resolve_conflict(claim_id, claim.version, index, take, reviewer)
    except AnnotateError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"{claim_id}: conflict {index} decided ({take}); {len(done.conflicts)} left, "
        f"version {done.version}"
    )
