"""The corpus commands: `annotate add` and `annotate doc set|replace` (the logic is in
`formats/ingest.py` and the service)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import AnnotateError
from ..record.revisions import OUTCOMES
from ..record.service import Workspace
from .options import CONTEXT, workspace_options


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
    from ..formats.ingest import MAX_BYTES

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


@click.command(context_settings=CONTEXT)
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
    from ..formats.ingest import Input, add_documents, prepare_all

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


@click.group(context_settings=CONTEXT)
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
    from ..formats.ingest import Input, read_text

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
        f"edited in place {counts['edited']}, "
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
