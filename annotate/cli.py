"""The `annotate` command line: thin commands over the library the web app uses too."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import click

from . import __version__
from .check import examine, render
from .errors import AnnotateError
from .export import DEFAULT_BASE_URL, DEFAULT_ORG_NAME, FORMATS, ExportSettings, export
from .importer import IMPORT_FORMATS, import_data, load
from .models import Claim
from .service import UNPLACED, Outcome, Workspace

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def workspace_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--seeds` and `--store`, shared by every command."""

    @click.option(
        "--seeds",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ANNOTATE_SEEDS",
        default="seeds",
        show_default=True,
        help="Corpus folder: <id>.txt documents and <id>.json metadata.",
    )
    @click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ANNOTATE_STORE",
        default="fixtures",
        show_default=True,
        help="Store folder: one <claim-id>.json file per claim.",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, seeds: Path, store: Path, **kwargs: Any) -> Any:
        for label, folder in (("--seeds", seeds), ("--store", store)):
            if not folder.is_dir():
                raise click.UsageError(f"{label}: folder '{folder}' does not exist")
        return fn(*args, ws=Workspace.open(seeds, store), **kwargs)

    return wrapper


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="annotate")
def cli() -> None:
    """Fact-check annotation: claims in a corpus, verdicts with cited evidence, kept in git."""


@cli.command(context_settings=CONTEXT)
@workspace_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="github prints workflow annotations for pull requests.",
)
def check(ws: Workspace, fmt: str) -> None:
    """Validate the store against the corpus; exit 0 clean, 1 problems, 2 usage error.

    Reports unparseable or invalid claim files, duplicated ids, anchors on unknown documents,
    offsets out of range, quotes not at their offsets, orphaned anchors, and verdicts that
    break the source rules, each with file, claim and field.
    """
    report = examine(ws)
    click.echo(render(report.problems, fmt, report.checked), nl=False)
    sys.exit(1 if report.problems else 0)


def base_url_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--base-url`, the app's public URL (environment `ANNOTATE_BASE_URL`)."""
    return click.option(
        "--base-url",
        envvar="ANNOTATE_BASE_URL",
        default=DEFAULT_BASE_URL,
        show_default=True,
        help="Public URL of the app: review pages, annotation ids, documents without a url.",
    )(fn)


@cli.command(context_settings=CONTEXT)
@workspace_options
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--reviewer",
    default="annotate reanchor",
    show_default=True,
    help="Name recorded in the history of every claim changed.",
)
def reanchor(ws: Workspace, dry_run: bool, reviewer: str) -> None:
    """Move anchors to where their quote is after documents were edited; orphan the lost.

    Each anchor is looked for at its offsets, then verbatim elsewhere (its context telling
    repeats apart), then with up to 25% of its characters edited; quotes and spaces are
    compared typography-blind. What cannot be found with confidence is kept at its last
    offsets with `orphaned: true`, never placed on a passage that merely looks alike; an
    orphan whose text is back is restored. Every changed claim gets one new version with the
    moves in its history. Exit 0 when every anchor is placed, 1 when orphans remain.
    """
    try:
        report = ws.reanchor(reviewer, dry_run=dry_run)
    except AnnotateError as exc:
        raise click.ClickException(exc.message) from None
    for r in report:
        if r.outcome != "unchanged":
            click.echo(r.line())
    counts = {o: sum(r.outcome == o for r in report) for o in OUTCOMES}
    claims = len({r.claim for r in report if r.changes})
    summary = (
        f"reanchor: moved {counts['moved']}, restored {counts['restored']}, "
        f"orphaned {counts['orphaned'] + counts['still orphaned']}, "
        f"context refreshed {counts['refreshed']}, unchanged {counts['unchanged']}"
    )
    if counts["unknown document"]:
        summary += f", on unknown documents {counts['unknown document']}"
    if dry_run:
        summary += f"; dry run: {claims} claim(s) would change, nothing written"
    else:
        summary += f"; {claims} claim(s) updated"
    click.echo(summary)
    sys.exit(1 if any(r.outcome in UNPLACED for r in report) else 0)


@cli.command(name="export", context_settings=CONTEXT)
@workspace_options
@click.option(
    "--format", "fmt", type=click.Choice(sorted(FORMATS)), required=True, help="Export format."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@base_url_option
@click.option(
    "--org-name",
    envvar="ANNOTATE_ORG_NAME",
    default=DEFAULT_ORG_NAME,
    show_default=True,
    help="The reviewing organisation (ClaimReview author, W3C collection label).",
)
@click.option(
    "--org-url",
    envvar="ANNOTATE_ORG_URL",
    help="The reviewing organisation's URL  [default: the base URL]",
)
def export_cmd(
    ws: Workspace,
    fmt: str,
    output: Path | None,
    base_url: str,
    org_name: str,
    org_url: str | None,
) -> None:
    """Export the claims and verdicts; the same store always gives the same bytes.

    Formats: json (everything, re-importable), csv (one row per claim), claimreview
    (schema.org JSON-LD, reviewed claims only) and w3c (a Web Annotation collection).
    """
    try:
        settings = ExportSettings(base_url=base_url, org_name=org_name, org_url=org_url or None)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        data = export(ws, fmt, settings)
    except AnnotateError as exc:
        raise click.ClickException(exc.message) from None
    if output is None:
        sys.stdout.write(data)
    else:
        output.write_text(data, encoding="utf-8", newline="")
        click.echo(f"wrote {output} ({fmt}, {len(data.encode())} bytes)", err=True)


@cli.command(name="import", context_settings=CONTEXT)
@workspace_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    required=True,
    help="json: our own json export; w3c: Web Annotations (ours, Hypothesis, other tools).",
)
@click.argument("file", type=click.File("rb"))
@click.option(
    "--reviewer",
    default="import",
    show_default=True,
    help="Who imports: recorded in each claim's history, and its creator when the "
    "annotation names none.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.option(
    "--replace", is_flag=True, help="Overwrite claims of the same id that differ (a new version)."
)
@base_url_option
def import_cmd(
    ws: Workspace,
    fmt: str,
    file: Any,
    reviewer: str,
    dry_run: bool,
    replace: bool,
    base_url: str,
) -> None:
    """Import claims from FILE ('-' for standard input) into the store.

    Every record becomes a whole claim anchored in the corpus or is reported with the reason
    it was not imported; exit 0 when everything was imported (or was there already,
    identical), 1 when something was not. A file that is not JSON or not of the format's
    shape writes nothing. Claims of the same id are left alone unless identical, or
    overwritten as a new version with --replace.
    """
    try:
        settings = ExportSettings(base_url=base_url)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--base-url") from None
    name = getattr(file, "name", "-")
    origin = "standard input" if name in ("-", "<stdin>") else Path(str(name)).name
    try:
        data = load(file.read())
        report = import_data(
            ws,
            data,
            fmt,
            reviewer,
            settings=settings,
            replace=replace,
            dry_run=dry_run,
            origin=f"{origin} ({fmt})",
        )
    except AnnotateError as exc:
        raise click.ClickException(f"{origin}: {exc.message}; nothing was imported") from None
    click.echo("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


@cli.command(context_settings=CONTEXT)
def schema() -> None:
    """Print the JSON Schema of a claim file in the store."""
    click.echo(json.dumps(Claim.model_json_schema(), indent=2, sort_keys=True))


@cli.command(context_settings=CONTEXT)
@workspace_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--reviewer",
    envvar="ANNOTATE_REVIEWER",
    default=None,
    help="Your name, recorded on every change (default: your OS user name).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads of the WSGI server.",
)
def serve(ws: Workspace, host: str, port: int, reviewer: str | None, threads: int) -> None:
    """Run the web app on a production WSGI server (waitress), on loopback by default."""
    from waitress.server import create_server

    from . import create_app, default_reviewer

    app = create_app(
        {
            "SEEDS": str(ws.corpus.root),
            "STORE": str(ws.store.root),
            "REVIEWER": reviewer or default_reviewer(),
            "BASE_URL": os.environ.get("ANNOTATE_BASE_URL") or f"http://{host}:{port}",
        }
    )
    # Build the index before listening: the first request is then as fast as the others.
    app.extensions["annotate"].store.counts()
    app.extensions["annotate"].corpus.documents()
    server = create_server(app, host=host, port=port, threads=threads, ident="annotate")
    bound = server.effective_port
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"annotate {__version__}: serving {ws.corpus.root} and {ws.store.root} "
        f"as reviewer '{app.config['REVIEWER']}'"
    )
    click.echo(
        f"Open http://{shown}:{bound}/  (Ctrl+C to stop)",
    )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")
