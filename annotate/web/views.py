"""The pictures of the record as pages: the timeline (who said what, when) and the
who-says-what matrix, each with its table equivalent, and their files (SVG, PNG, JSON) with
the same filters. Server-rendered: the SVG is in the page (links open each claim's panel),
no script needed; blind review hides here what it hides everywhere (the claims are chosen and
read through `workspace()`). Beyond `MAX_DRAWN` claims the page asks for a filter and the
files refuse."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..errors import AnnotateError, NotFound
from ..formats.pictures import (
    FILTERS,
    MEDIA_TYPES,
    PICTURE_FORMATS,
    STATUSES,
    Article,
    Choice,
    Kind,
    PngUnavailable,
    Shown,
    TooManyToDraw,
    choose,
    day,
    draw,
    filters_from,
    question_labels,
    render,
    svg_of,
)
from .common import error_json, permission, workspace

bp = Blueprint("views", __name__)


class Unavailable(AnnotateError):
    """What this installation cannot make (a PNG without resvg-py)."""

    status = 501


def _choice(kind: Kind) -> Choice:
    # From the index's summaries, as this reader may see them (blind review): at 100,000
    # claims, reading every claim file to choose made the timeline take 41 s.
    return choose(kind, workspace(), filters_from(request.args))


def _in_app(item: Shown | Article) -> str:
    """Where a mark goes in the page: a claim's panel on its document's page, an article's
    page in the app."""
    if isinstance(item, Article):
        return url_for("pages.document", doc_id=item.id)
    if not item.documents:
        return url_for("pages.claim", claim_id=item.id)
    return url_for("pages.document", doc_id=item.documents[0], claim=item.id) + "#panel"


def _page(kind: Kind) -> str:
    ws = workspace()
    choice = _choice(kind)
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k in FILTERS and v}
    shown: dict[str, Any] = {"pic": None, "svg": None, "labels": {}}
    if not choice.too_many:
        pic = draw(choice, ws, current_app.extensions["annotate_export"])
        # In the page, the picture's links open each claim's panel; the SVG's own title and
        # description name it (a group: its links stay reachable, the table says it in words).
        svg = svg_of(pic, _in_app).split("\n", 1)[1].replace('role="img"', 'role="group"', 1)
        shown = {"pic": pic, "svg": Markup(svg), "labels": {q.id: q.label for q in pic.questions}}
    return render_template(
        f"{kind}.html",
        **shown,
        too_many=len(choice.chosen) if choice.too_many else 0,
        max_drawn=choice.limit,
        link=_in_app,
        day=day,
        args=args,
        question_choices=question_labels(ws, choice.questions),
        claimants=choice.claimants,
        verdicts=STATUSES,
        files=[(f, url_for(f"views.{kind}_file", fmt=f, **args)) for f in PICTURE_FORMATS],
    )


def _file(kind: Kind, fmt: str) -> Response:
    # A file is for a machine or an article: every refusal is the API's error body (a bad
    # filter, an unknown question or format, too many claims, a PNG too big or unavailable),
    # not an HTML page.
    try:
        if fmt not in PICTURE_FORMATS:
            raise NotFound(f"no picture format '{fmt}': svg, png or json")
        pic = draw(_choice(kind), workspace(), current_app.extensions["annotate_export"])
        try:
            data = render(pic, fmt)
        except PngUnavailable as exc:
            raise Unavailable(str(exc)) from None
    except TooManyToDraw as exc:
        return error_json(exc.status, exc.message, exc.details, claims=exc.count)
    except AnnotateError as exc:
        return error_json(exc.status, exc.message, exc.details)
    resp = Response(data, mimetype=MEDIA_TYPES[fmt])
    if fmt == "json":
        resp.headers["Content-Type"] = "application/json"
    name = f"annotate-{kind}-{pic.exported.isoformat()}.{fmt}"
    if request.args.get("download"):
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@bp.get("/timeline")
@permission("viewer")
def timeline() -> str:
    """Every dated claim on a time axis, a lane per claimant, with the articles' publication
    dates; the undated listed beside; filter by question, claimant, verdict."""
    return _page("timeline")


@bp.get("/timeline.<fmt>")
@permission("viewer")
def timeline_file(fmt: str) -> Response:
    """The timeline as a standalone SVG, a PNG or JSON data (the page's filters)."""
    return _file("timeline", fmt)


@bp.get("/matrix")
@permission("viewer")
def matrix() -> str:
    """Claimants × questions: who asserts and who denies each, when, with what verdict."""
    return _page("matrix")


@bp.get("/matrix.<fmt>")
@permission("viewer")
def matrix_file(fmt: str) -> Response:
    """The matrix as a standalone SVG, a PNG or JSON data (the page's filters)."""
    return _file("matrix", fmt)
