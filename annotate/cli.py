"""The `annotate` command line: thin commands over the library the web app uses too."""

from __future__ import annotations

import functools
import gc
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import click

from . import DISTRIBUTION, __version__
from .check import examine, render
from .errors import AnnotateError
from .export import DEFAULT_BASE_URL, DEFAULT_ORG_NAME, FORMATS, ExportSettings, export
from .importer import IMPORT_FORMATS, import_data, load
from .models import Claim
from .service import UNPLACED, Outcome, Workspace
from .usercli import serve_options, team_config
from .usercli import user as user_group

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


def _warm(app: Any) -> Any:
    """Build the store's index and load the corpus before listening: the first request is
    then as fast as the others."""
    app.extensions["annotate"].store.counts()
    app.extensions["annotate"].corpus.documents()
    # From now on a thread keeps the index current, so that requests do not wait for it.
    app.extensions["annotate"].store.follow()
    # What start-up built lives as long as the server: keep it out of the cyclic garbage
    # collector's full passes, which would otherwise walk every summary of a large store
    # (a pause of hundreds of milliseconds at 100,000 claims, in the middle of a request).
    gc.collect()
    gc.freeze()
    # A thread that renders a big page holds the interpreter for up to the switch interval
    # each time a saving thread (back from a system call: some 30 per save) waits for it:
    # at CPython's 5 ms, 8 clients saving while one reads the busiest page back to back
    # saved 21/s; at 0.5 ms, 59/s, and the page p50 halved (bench.server, 100,000 claims).
    sys.setswitchinterval(0.0005)
    return app


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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (more than 1: gunicorn's pre-fork server, "
    "each process with --threads threads).",
)
@serve_options
def serve(
    ws: Workspace,
    host: str,
    port: int,
    reviewer: str | None,
    threads: int,
    workers: int,
    **team: Any,
) -> None:
    """Run the web app on a production WSGI server (waitress), on loopback by default.

    With users in the users file (`annotate user add`) it runs in team mode: everyone logs
    in, and it may listen on other addresses; without, it refuses any but loopback.
    """
    import secrets

    from waitress.server import create_server

    from . import create_app, default_reviewer

    config = {
        "SEEDS": str(ws.corpus.root),
        "STORE": str(ws.store.root),
        "REVIEWER": reviewer or default_reviewer(),
        "BASE_URL": os.environ.get("ANNOTATE_BASE_URL") or f"http://{host}:{port}",
        **team_config(host, **team),
    }
    if workers > 1 and not config["USERS_FILE"]:
        # One key for every worker process: a session signed by one is valid in the others.
        # (Team mode has its key in a file beside the users file, shared already.)
        config["SECRET_KEY"] = os.environ.get("ANNOTATE_SECRET_KEY") or secrets.token_hex(32)
    app = create_app(config)
    swept = ws.store.sweep()
    if swept:
        click.echo(f"removed {len(swept)} temp file(s) left by writes a crash interrupted")
    who = (
        f"in team mode (users from {app.config['USERS_FILE']})"
        if app.config["USERS_FILE"]
        else f"as reviewer '{app.config['REVIEWER']}'"
    )
    if workers > 1:
        from . import prefork

        def ready(bound: int) -> None:
            click.echo(
                f"annotate {__version__}: serving {ws.corpus.root} and {ws.store.root} {who} "
                f"with {workers} processes"
            )
            shown = f"[{host}]" if ":" in host else host
            click.echo(f"Open http://{shown}:{bound}/  (Ctrl+C to stop)")

        prefork.run(lambda: _warm(create_app(config)), host, port, workers, threads, ready)
        return
    _warm(app)
    server = create_server(app, host=host, port=port, threads=threads, ident="annotate")
    bound = server.effective_port
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"annotate {__version__}: serving {ws.corpus.root} and {ws.store.root} {who}")
    click.echo(
        f"Open http://{shown}:{bound}/  (Ctrl+C to stop)",
    )
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("stopped")


# -- documents: add, doc set, doc replace, init (issue 8; logic in ingest.py and desk.py) -----


def meta_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The metadata of a document, as options."""
    for name, help_text in reversed(
        (
            ("title", "Title (default: the page's title, or the first line of the text)."),
            ("outlet", "Outlet or site name (default: the page's site name)."),
            ("author", "Author(s) (default: the page's author)."),
            ("published", "Publication date, YYYY-MM-DD (default: the page's date)."),
            ("url", "Original URL, http(s) (default: the page's canonical URL)."),
            ("language", "Language tag such as en, ru, de-CH (default: the page's, else en)."),
            ("notes", "Free notes on the document (where it comes from, what is missing)."),
        )
    ):
        fn = click.option(f"--{name}", default=None, help=help_text)(fn)
    return fn


def _read_input(path: str) -> tuple[bytes, str, str | None]:
    from .ingest import MAX_BYTES

    if path == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1), "standard input", None
    p = Path(path)
    if p.is_dir():
        raise click.BadParameter(f"'{path}' is a folder", param_hint="FILE")
    try:
        with p.open("rb") as fh:
            return fh.read(MAX_BYTES + 1), p.name, p.name
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read '{path}': {exc.strerror}", param_hint="FILE"
        ) from None


def _fail_with_details(exc: AnnotateError) -> click.ClickException:
    lines = [exc.message]
    lines += [
        f"  {d['field']}: {d['message']}" for d in exc.details if d["message"] not in exc.message
    ]
    return click.ClickException("\n".join(lines))


FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "text", "html"]),
    default="auto",
    show_default=True,
    help="auto: HTML when the name ends in .html/.htm or the content starts like a page.",
)
ENCODING_OPTION = click.option(
    "--encoding", default=None, help="Encoding of the input when it is not UTF-8 (else detected)."
)


@cli.command(context_settings=CONTEXT)
@workspace_options
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@meta_options
@click.option("--id", "doc_id", default=None, help="Document id (default: made from the title).")
@FORMAT_OPTION
@ENCODING_OPTION
@click.option("--dry-run", is_flag=True, help="Report what would be added; write nothing.")
@click.option(
    "--allow-duplicates", is_flag=True, help="Add a text even if the corpus has it already."
)
def add(
    ws: Workspace,
    files: tuple[str, ...],
    doc_id: str | None,
    fmt: str,
    encoding: str | None,
    dry_run: bool,
    allow_duplicates: bool,
    **fields: str | None,
) -> None:
    """Add articles to the corpus from text or HTML files ('-' reads pasted text from stdin).

    Text is stored as UTF-8 with LF line ends (the report says what was normalised); from
    HTML only the article text is kept, with its title, author, date, site name and URL as
    metadata. Options override what is found. The id is made from the title (unique,
    path-safe) unless --id is given. Empty, binary, undecodable or huge (over 5 MB) files, and
    texts the corpus has already, are refused with the reason; if any input is refused,
    nothing is added.
    """
    from .ingest import Input, add_documents, prepare_all

    if len(files) > 1:
        for single in ("title", "url"):
            if fields.get(single):
                raise click.UsageError(f"--{single} names one document: add one file at a time")
        if doc_id:
            raise click.UsageError("--id names one document: add one file at a time")
    if files.count("-") > 1:
        raise click.UsageError("standard input ('-') can be read once")
    items = []
    for path in files:
        raw, origin, name = _read_input(path)
        items.append(
            Input(
                raw=raw,
                origin=origin,
                name=name,
                fields=dict(fields),
                id=doc_id,
                kind=fmt,
                encoding=encoding,
            )
        )
    try:
        if dry_run:
            ready = prepare_all(ws.corpus, items, allow_duplicates)
        else:
            ready = [p for p, _ in add_documents(ws.corpus, items, allow_duplicates)]
    except AnnotateError as exc:
        raise _fail_with_details(exc) from None
    for p in ready:
        click.echo("\n".join(p.lines()))
    verb = "would be added (dry run, nothing written)" if dry_run else f"added to {ws.corpus.root}"
    click.echo(f"{len(ready)} document(s) {verb}")


@cli.group(context_settings=CONTEXT)
def doc() -> None:
    """Change a document of the corpus: its metadata, or (re-anchoring) its text."""


@doc.command(name="set", context_settings=CONTEXT)
@workspace_options
@click.argument("doc_id", metavar="ID")
@meta_options
def doc_set(ws: Workspace, doc_id: str, **fields: str | None) -> None:
    """Change the metadata of document ID; an empty value ("") clears a field.

    The text is not touched. Prints the metadata as stored.
    """
    data = {k: v for k, v in fields.items() if v is not None}
    if not data:
        raise click.UsageError("name at least one field to change, e.g. --title '...'")
    try:
        doc_ = ws.set_document_meta(doc_id, data)
    except AnnotateError as exc:
        raise _fail_with_details(exc) from None
    click.echo(f"{doc_.id}: metadata saved to {ws.corpus.root / (doc_.id + '.json')}")
    for key, value in doc_.meta.model_dump(mode="json").items():
        click.echo(f"  {key}: {value if value is not None else '—'}")


@doc.command(name="replace", context_settings=CONTEXT)
@workspace_options
@click.argument("doc_id", metavar="ID")
@click.argument("file", metavar="FILE")
@FORMAT_OPTION
@ENCODING_OPTION
@click.option("--dry-run", is_flag=True, help="Show what would move or be orphaned; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Save without asking (needed when FILE is '-').")
@click.option(
    "--reviewer",
    default="annotate doc replace",
    show_default=True,
    help="Name recorded in the history of every claim re-anchored.",
)
def doc_replace(
    ws: Workspace,
    doc_id: str,
    file: str,
    fmt: str,
    encoding: str | None,
    dry_run: bool,
    yes: bool,
    reviewer: str,
) -> None:
    """Replace the text of document ID with FILE ('-' for stdin), re-anchoring its claims.

    The new text is normalised like an added one. First shows what happens to every anchor
    in the document (moved, orphaned, unchanged), then asks; saving writes the text and
    re-anchors each affected claim as a new version (history `reanchored`). Orphaned anchors
    are kept at their last offsets, never dropped: attach them again in the web app.
    """
    from .ingest import Input, read_text

    raw, origin, name = _read_input(file)
    try:
        current = ws.corpus.get(doc_id)
        text, _, _, notes = read_text(
            Input(raw=raw, origin=origin, name=name, kind=fmt, encoding=encoding),
            final_newline=current.text.endswith("\n"),
        )
        preview = ws.preview_replace(doc_id, text)
    except AnnotateError as exc:
        raise _fail_with_details(exc) from None
    click.echo(f"{doc_id}: {current.length} -> {len(text)} characters")
    for n in notes:
        click.echo(f"  - {n}")
    for r in preview:
        click.echo(r.line())
    counts = {o: sum(r.outcome == o for r in preview) for o in OUTCOMES}
    claims = len({r.claim for r in preview})
    click.echo(
        f"{len(preview)} anchor(s) of {claims} claim(s): moved {counts['moved']}, "
        f"restored {counts['restored']}, "
        f"orphaned {counts['orphaned'] + counts['still orphaned']}, "
        f"unchanged {counts['unchanged'] + counts['refreshed']}"
    )
    if dry_run:
        click.echo("dry run: nothing written")
        return
    if not yes:
        if file == "-":
            raise click.UsageError("the text came from standard input: confirm with --yes")
        click.confirm("Replace the text and re-anchor these claims?", abort=True)
    try:
        done = ws.replace_text(doc_id, text, current.sha256, reviewer)
    except AnnotateError as exc:
        raise _fail_with_details(exc) from None
    changed = len({r.claim for r in done if r.changes})
    click.echo(f"saved: {doc_id} has the new text; {changed} claim(s) re-anchored")


@cli.command(context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--package",
    default=None,
    metavar="REQUIREMENT",
    help="The pip requirement CI installs annotate by  [default: this annotate, as it was "
    "installed here: a git URL at its commit, an index version, or a folder].",
)
def init(folder: Path, package: str | None) -> None:
    """Start a desk's own repository of annotations in FOLDER.

    Creates seeds/ (the articles), fixtures/ (the claims), a GitHub Actions workflow that
    installs annotate from .github/annotate-requirements.txt and runs `annotate check
    --format github`, a README and a .gitignore. Refuses to overwrite any file.
    """
    from .desk import REQUIREMENTS, WORKFLOW, Package, create, default_package, set_package_command

    chosen = Package(package) if package is not None else default_package()
    if not chosen.requirement.strip() or "\n" in chosen.requirement:
        raise click.BadParameter("give one pip requirement on one line", param_hint="--package")
    try:
        written = create(folder, chosen.requirement)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"created {path}")
    click.echo(
        f"Next: cd {folder} && git init && annotate add ARTICLE... && annotate serve\n"
        f"CI: {WORKFLOW} runs `annotate check --format github` on every push.\n"
        f"CI installs: {chosen.requirement} (from {REQUIREMENTS})"
    )
    if chosen.warning:
        example = set_package_command(
            f"{DISTRIBUTION} @ git+https://YOUR-GIT-HOST/annotate.git@v{__version__}"
        )
        click.echo(
            f"Warning: {chosen.warning} Point CI at an annotate it can reach:\n"
            f"  cd {shlex.quote(str(folder))} && {example}",
            err=True,
        )


cli.add_command(user_group)
