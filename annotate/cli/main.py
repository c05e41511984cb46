"""The `annotate` command line: thin commands over the library the web app uses too."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from .. import DISTRIBUTION, __version__
from ..errors import AnnotateError
from ..formats.export import FORMATS, ExportSettings, export_stream
from ..formats.importer import IMPORT_FORMATS, import_data, load_file
from ..formats.pictures import (
    KINDS,
    PICTURE_FORMATS,
    PNG_EXTRA,
    Filters,
    PngUnavailable,
    choose,
    draw,
    render,
)
from ..formats.pictures import STATUSES as PICTURE_STATUSES
from ..record.check import examine, failing, report_pieces
from ..record.models import SHORT_STATEMENT_ADVISED, Claim
from ..record.revisions import OUTCOMES, UNPLACED
from ..record.service import Workspace
from .documents import add, doc
from .gitdesk import diff_cmd, merge_driver, resolve, sync_cmd
from .options import CONTEXT, base_url_option, org_name_option, workspace_options
from .serve import serve
from .users import user as user_group


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
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (exit 1) on the editorial warnings too, as the desk's CI does.",
)
def check(ws: Workspace, fmt: str, strict: bool) -> None:
    """Validate the store against the corpus; exit 0 clean, 1 problems, 2 usage error.

    Reports unparseable or invalid claim files, duplicated ids, anchors on unknown documents,
    offsets out of range, quotes not at their offsets, orphaned anchors, and verdicts that
    break the source rules, each with file, claim and field: errors, which fail the check.

    The editorial checks (the desk standard, docs/checks.md) are warnings: reported, exit 0,
    unless --strict. Their codes:

    \b
      self-citation            a source quote overlaps one of the claim's own appearances
      single-document-support  confirmed on support from one document only
      claimant-only-support    confirmed on supporting quotes that all lie in paragraphs
                               where the claim itself appears (the claimant's own words)
      dated-after-publication  claim_date after the publication of a document it is in
      similar-claimants        near-duplicate claimant names across the store
      url-source-no-publisher  a URL source without a publisher
      url-source-undated       a URL source without a date
      in-review                fewer reviews than the desk requires, no final verdict
      disagreement             reviews that differ, or a claim reopened after its verdict
      evidence-changed         the evidence a verdict cites moved, was orphaned or its
                               document's text replaced since: confirm the verdict again
      claim-reviewed-long      a reviewed claim's published claimReviewed (short form,
                               else statement) is over 75 characters
    """
    report = examine(ws)
    for piece in report_pieces(report.problems, fmt, report.checked, strict):
        sys.stdout.write(piece)
    sys.exit(1 if failing(report.problems, strict) else 0)


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
        f"reanchor: moved {counts['moved']}, edited in place {counts['edited']}, "
        f"restored {counts['restored']}, "
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
@org_name_option("The reviewing organisation: ClaimReview author, W3C collection label")
@click.option(
    "--org-url",
    envvar="ANNOTATE_ORG_URL",
    help="The reviewing organisation's URL (setting [publish] org_url)  [default: the base URL]",
)
@click.option(
    "--org-logo",
    envvar="ANNOTATE_ORG_LOGO",
    help="URL of the organisation's logo, in ClaimReview's author (setting [publish] org_logo).",
)
@click.option(
    "--with-history",
    is_flag=True,
    help="json: each claim with its history of changes (`import --format json` keeps it).",
)
@click.option(
    "--excel",
    is_flag=True,
    help="csv: for Microsoft Excel: a UTF-8 byte order mark first, so that it reads the "
    "file as UTF-8 (rows end in CRLF in every csv).",
)
def export_cmd(
    ws: Workspace,
    fmt: str,
    output: Path | None,
    base_url: str,
    org_name: str,
    org_url: str | None,
    org_logo: str | None,
    with_history: bool,
    excel: bool,
) -> None:
    """Export the claims and verdicts; the same store always gives the same bytes.

    Formats: json (everything, re-importable), csv (one row per claim), claimreview
    (schema.org JSON-LD, reviewed claims only) and w3c (a Web Annotation collection).

    claimreview is for publishing: it refuses (exit 2) a base URL nobody else can reach
    (loopback, localhost, a private address, a local-network name), so give the desk's
    public URL as [publish] base_url in annotate.toml or --base-url.
    """
    if with_history and fmt != "json":
        raise click.UsageError("--with-history goes with --format json")
    if excel and fmt != "csv":
        raise click.UsageError("--excel goes with --format csv")
    try:
        settings = ExportSettings(
            base_url=base_url,
            org_name=org_name,
            org_url=org_url or None,
            org_logo=org_logo or None,
            with_history=with_history,
            excel=excel,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if fmt == "claimreview":
        problem = settings.publish_problem()
        if problem is not None:
            raise click.UsageError(f"refusing to export claimreview: {problem}")
    try:
        pieces = export_stream(ws, fmt, settings)
        if output is None:
            for piece in pieces:
                sys.stdout.write(piece)
            return
        # Written as it is made (a claim at a time), into a file beside the output that
        # takes its place when complete: a failed export leaves the last one as it was.
        part = output.with_name(f".{output.name}.part")
        size = 0
        try:
            with open(part, "wb") as out:
                for piece in pieces:
                    data = piece.encode("utf-8")
                    out.write(data)
                    size += len(data)
            os.replace(part, output)
        finally:
            part.unlink(missing_ok=True)
    except AnnotateError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"wrote {output} ({fmt}, {size} bytes)", err=True)


@cli.command(name="picture", context_settings=CONTEXT)
@workspace_options
@click.argument("kind", type=click.Choice(KINDS))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PICTURE_FORMATS),
    default="svg",
    show_default=True,
    help="svg: standalone, with caption and sources; png: the same picture (needs resvg-py: "
    f"{PNG_EXTRA}); json: the data, for your own charts.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE instead of standard output.",
)
@click.option("--question", help="Only the claims answering this question (its id).")
@click.option("--claimant", help="Only this claimant's claims (the name exactly).")
@click.option(
    "--verdict", type=click.Choice(PICTURE_STATUSES), help="Only the claims with this verdict."
)
@base_url_option
@org_name_option("The desk named in the sources line")
def picture_cmd(
    ws: Workspace,
    kind: str,
    fmt: str,
    output: Path | None,
    question: str | None,
    claimant: str | None,
    verdict: str | None,
    base_url: str,
    org_name: str,
) -> None:
    """A publishable picture: the timeline or the who-says-what matrix, as the pages show it.

    timeline: every dated claim on a time axis, a lane per claimant, marked by verdict, with
    the articles' publication dates. matrix: claimants x questions (claims linked as
    repeating or contradicting each other), who asserts and who denies, when, with what
    verdict. Each SVG and PNG carries a caption, a legend and its sources (articles, outlet,
    dates, the desk and the date of export); claims link to their public review pages.
    """
    try:
        settings = ExportSettings(base_url=base_url, org_name=org_name)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    filters = Filters(question=question or None, claimant=claimant or None, verdict=verdict)
    try:
        # Chosen from the store's index; only the claims drawn are read (at most MAX_DRAWN).
        pic = draw(choose(kind, ws, filters), ws, settings)  # type: ignore[arg-type]
        data = render(pic, fmt)
    except PngUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    except AnnotateError as exc:
        raise click.UsageError(exc.message) from None
    if output is None:
        if fmt == "png" and sys.stdout.isatty():
            raise click.UsageError("a PNG is not for a terminal: give -o FILE")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        click.echo(f"wrote {output} ({kind} {fmt}, {len(data)} bytes)", err=True)


@cli.command(name="import", context_settings=CONTEXT)
@workspace_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(IMPORT_FORMATS),
    required=True,
    help="json: our own json export; w3c: Web Annotations (ours, other tools); hypothesis: "
    "the Hypothesis API's annotations (a search answer, or a list of rows); labelstudio: "
    "Label Studio's JSON export; doccano: doccano's JSONL export (sequence labelling).",
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
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="URL=DOC",
    help="hypothesis, w3c: annotations of the page URL (in any of its forms) go to document "
    "DOC; repeatable. The URLs the page is known by are then recorded as DOC's aliases.",
)
@click.option(
    "--label-map",
    "label_maps",
    multiple=True,
    metavar="LABEL=TARGET",
    help="labelstudio, doccano: what a label stands for: confirmed, denied, disputed (a "
    "suggested verdict: the claim stays unreviewed, see the manual), claim, or ignore; "
    "repeatable. A label named like a target needs none; any other label unmapped refuses "
    "the import.",
)
@click.option(
    "--add-documents",
    is_flag=True,
    help="labelstudio, doccano: add a task's text that is not in the corpus as a new "
    "document (title and url from the task's data), instead of reporting it.",
)
@click.option(
    "--claimant",
    default=None,
    help="The claimant of the imported claims whose record names none  [default: unknown, "
    "for a reviewer to set]",
)
@base_url_option
def import_cmd(
    ws: Workspace,
    fmt: str,
    file: Any,
    reviewer: str,
    dry_run: bool,
    replace: bool,
    maps: tuple[str, ...],
    label_maps: tuple[str, ...],
    add_documents: bool,
    claimant: str | None,
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
        data = load_file(file.read(), fmt)
        report = import_data(
            ws,
            data,
            fmt,
            reviewer,
            settings=settings,
            replace=replace,
            dry_run=dry_run,
            origin=f"{origin} ({fmt})",
            maps=maps,
            label_maps=label_maps,
            add_documents=add_documents,
            claimant=claimant,
        )
    except AnnotateError as exc:
        raise click.ClickException(f"{origin}: {exc.message}; nothing was imported") from None
    click.echo("\n".join(report.lines()))
    sys.exit(0 if report.ok else 1)


@cli.command(context_settings=CONTEXT)
@workspace_options
@click.option("--doc", "doc_id", default=None, help="Only the claims in this document.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def agreement(ws: Workspace, doc_id: str | None, fmt: str) -> None:
    """Agreement between reviewers: Krippendorff's alpha, Fleiss' kappa and Gwet's AC1 over
    all reviewers, Cohen's kappa with a confusion matrix for each pair, overall and per
    document, over the claims with at least two reviews. A figure the data leaves undefined
    is null, with the reason in the text output."""
    from ..record.agreement import to_text

    if doc_id is not None and not ws.corpus.has(doc_id):
        raise click.UsageError(f"--doc: no document '{doc_id}' in the corpus")
    result = ws.agreement(doc_id)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        click.echo(to_text(result), nl=False)


@cli.command(name="short-form", context_settings=CONTEXT)
@workspace_options
@click.argument("claim_id")
@click.argument("text", required=False)
@click.option("--clear", is_flag=True, help="Remove the short form: the statement is published.")
@click.option(
    "--reviewer",
    envvar="ANNOTATE_REVIEWER",
    default=None,
    help="Your name, recorded in the claim's history (default: your OS user name).",
)
def short_form(
    ws: Workspace, claim_id: str, text: str | None, clear: bool, reviewer: str | None
) -> None:
    """Show, set or remove (--clear) the short form of CLAIM_ID's statement: what its
    ClaimReview publishes as claimReviewed (75 characters or fewer, saying the same).

    Without TEXT, prints the published text and its length. A change is one new version
    of the claim, recorded in its history under --reviewer.
    """
    from .. import default_reviewer

    if text is not None and clear:
        raise click.UsageError("give TEXT or --clear, not both")
    try:
        claim = ws.claim(claim_id)
        if text is None and not clear:
            published = claim.short_statement or claim.statement
            kind = "short form" if claim.short_statement else "statement (no short form)"
            click.echo(f"{published}\n{len(published)} characters: the {kind}")
            return
        changed = ws.edit_claim(
            claim_id,
            claim.version,
            {"short_statement": None if clear else text},
            reviewer or default_reviewer(),
        )
    except AnnotateError as exc:
        raise click.ClickException(exc.message) from None
    published = changed.short_statement or changed.statement
    click.echo(
        f"{claim_id}: version {changed.version}; publishes {published!r} "
        f"({len(published)} characters)"
    )
    if len(published) > SHORT_STATEMENT_ADVISED:
        click.echo(
            f"warning: over {SHORT_STATEMENT_ADVISED} characters (claim-reviewed-long)", err=True
        )


@cli.command(context_settings=CONTEXT)
@workspace_options
def reindex(ws: Workspace) -> None:
    """Build the search index afresh from the claim files and the corpus.

    The index (the store's .annotate-tmp/search.sqlite) is a cache: every search brings it
    up to date with the files first, and `annotate serve` checks it at start-up, building
    it when it is missing. This is for when you want it built now, or mistrust it; nothing
    is lost by deleting it. Safe while servers run on the store."""
    assert ws.search is not None
    claims, docs = ws.search.rebuild()
    click.echo(f"search index {ws.search.path}: {claims} claim file(s), {docs} document(s)")


@cli.command(context_settings=CONTEXT)
def schema() -> None:
    """Print the JSON Schema of a claim file in the store."""
    click.echo(json.dumps(Claim.model_json_schema(), indent=2, sort_keys=True))


@cli.command(context_settings=CONTEXT)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--package",
    default=None,
    metavar="REQUIREMENT",
    help="The pip requirement CI installs annotate by  [default: this annotate, as it was "
    "installed here: a git URL at its commit, an index version, or a folder].",
)
@click.option(
    "--existing",
    is_flag=True,
    help="FOLDER is a desk made earlier: only register the claim merge driver there "
    "(.gitattributes, and this clone's git config).",
)
def init(folder: Path, package: str | None, existing: bool) -> None:
    """Start a desk's own repository of annotations in FOLDER.

    Creates seeds/ (the articles), fixtures/ (the claims), a GitHub Actions workflow that
    installs annotate from .github/annotate-requirements.txt and runs `annotate check
    --format github`, a README, a .gitignore, a .gitattributes that merges claim files with
    `annotate merge-driver`, and annotate.toml (the review rules). Refuses to overwrite any
    file. With --existing, registers the merge driver in a desk made earlier.
    """
    from ..desk import (
        REQUIREMENTS,
        WORKFLOW,
        Package,
        create,
        default_package,
        register_merge_driver,
        set_package_command,
    )

    if existing:
        if not folder.is_dir():
            raise click.UsageError(f"--existing: folder '{folder}' does not exist")
        for line in register_merge_driver(folder):
            click.echo(line)
        return

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
        f"CI: {WORKFLOW} runs `annotate check --strict --format github` on every push.\n"
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


for command in (add, doc, serve, user_group, merge_driver, diff_cmd, sync_cmd, resolve):
    cli.add_command(command)
