"""Pages and API routes that change the corpus: add an article, edit a document's details,
replace its text (preview first, then save with re-anchoring).

Every write goes through the guards of `common.py` like the other pages (same-origin check and
CSRF token for forms; JSON content type for the API). Forms work without JavaScript; with htmx
(boosted) the same responses swap the page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ..errors import (
    AlreadyExists,
    AnnotateError,
    Busy,
    Forbidden,
    InvalidInput,
    PreconditionRequired,
    StaleText,
    detail,
)
from ..formats.ingest import (
    KINDS,
    MAX_BYTES,
    META_FIELDS,
    Input,
    Prepared,
    add_documents,
    human_size,
    read_text,
)
from ..record.revisions import Relocation
from .common import (
    actor,
    body_object,
    current_user,
    form_fields,
    html_response,
    may,
    messages,
    permission,
    workspace,
)

bp = Blueprint("documents", __name__)

OUTCOME_ORDER = (
    "orphaned",
    "still orphaned",
    "edited",
    "moved",
    "restored",
    "refreshed",
    "unchanged",
)


def _upload() -> FileStorage | None:
    file = request.files.get("file")
    return file if file is not None and file.filename else None


def _input_from_form(form: dict[str, str], with_meta: bool) -> Input:
    """The uploaded file, else the pasted text.

    :raise InvalidInput: both or neither given.
    """
    file = _upload()
    pasted = form.get("text", "")
    kind = form.get("format") or "auto"
    fields = {k: form.get(k, "") for k in META_FIELDS} if with_meta else {}
    if file is not None and pasted.strip():
        raise InvalidInput(
            "send a file or pasted text, not both",
            [detail("text", "send a file or pasted text, not both: clear one")],
        )
    if file is not None:
        raw = file.read(MAX_BYTES + 1)
        name = file.filename or "upload"
        return Input(raw=raw, origin=name, name=name, fields=fields, kind=kind, id=None)
    if not pasted.strip():
        raise InvalidInput(
            "choose a file or paste the article's text",
            [detail("text", "nothing to add: no file and no text")],
        )
    # Browsers send every line break of a textarea as CRLF (HTML form encoding): that is no
    # property of the text, so it is undone here rather than reported as normalised.
    raw = pasted.replace("\r\n", "\n").encode("utf-8")
    return Input(raw=raw, origin="pasted text", fields=fields, kind=kind)


def page_hint(field: str, verb: str) -> str:
    """How to change a detail from the web page (the flash is shown on the document's page,
    beside its "Edit details or text" link): not the command line's `--title`."""
    return f"{verb} it with “Edit details or text” on this page"


def api_hint(field: str, verb: str) -> str:
    """How to change a detail through the API."""
    return f"{verb} it with PATCH /api/documents/<id> ({field}) or later"


def _report(p: Prepared) -> str:
    return f"Added “{p.meta.title}” as {p.id}: " + "; ".join(p.notes)


def _writers_only() -> None:
    """The forms are for those who may send them (team mode: not viewers)."""
    if not may("reviewer"):
        user = current_user()
        raise Forbidden(
            f"'{user.name if user else 'anonymous'}' is a viewer: adding or editing documents "
            "needs the reviewer role"
        )


# -- add -----------------------------------------------------------------------------------


@contextmanager
def _reading_slot() -> Iterator[None]:
    """One of the few slots for reading an article (HTML extraction is seconds of CPU for a
    large page): the rest of the server's threads stay free for reviewers' reads and saves.

    :raise Busy: every slot is taken (503 with Retry-After): nothing was read or written.
    """
    slots: threading.BoundedSemaphore = current_app.extensions["annotate_ingest"]
    if not slots.acquire(blocking=False):
        raise Busy(
            "another article is being read right now: try again in a few seconds "
            "(what you typed is kept)"
        )
    try:
        yield
    finally:
        slots.release()


def init_ingest(app: Any) -> None:
    """The app's article-reading slots (`INGEST_SLOTS`, default 1)."""
    app.extensions["annotate_ingest"] = threading.BoundedSemaphore(
        int(app.config.get("INGEST_SLOTS") or 1)
    )


@bp.get("/documents/new")
@permission("viewer")
def new() -> str:
    """The form to add an article: upload a .txt or .html file, or paste text."""
    _writers_only()
    return render_template("add.html", form={}, errors=[], kinds=KINDS, limit=MAX_BYTES)


@bp.post("/documents")
@permission("reviewer")
def add() -> Response:
    """Add the article; on success go to its page with the report of what was done."""
    form = form_fields()
    try:
        item = _input_from_form(form, with_meta=True)
        item.id = form.get("id") or None
        with _reading_slot():
            ((prepared, doc),) = add_documents(workspace().corpus, [item], hint=page_hint)
    except (InvalidInput, AlreadyExists, Busy) as exc:
        html = render_template(
            "add.html",
            form=form,
            errors=messages(exc),
            kinds=KINDS,
            limit=MAX_BYTES,
            had_file=_upload() is not None,
        )
        return html_response(html, exc.status)
    flash(_report(prepared), "ok")
    return redirect(url_for("pages.document", doc_id=doc.id), code=303)


@bp.errorhandler(413)
def too_large(exc: Exception) -> Response:
    """An upload over the app's request limit: say so in the form it came from."""
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    message = (
        f"the upload is larger than the {human_size(limit)} a browser form may send; "
        f"add it with `annotate add FILE` (up to {human_size(MAX_BYTES)})"
    )
    doc_id = (request.view_args or {}).get("doc_id")
    if request.endpoint == "documents.replace" and doc_id:
        return _edit_page(doc_id, 413, replace_errors=[message])
    html = render_template(
        "add.html", form={}, errors=[message], kinds=KINDS, limit=MAX_BYTES, had_file=True
    )
    return html_response(html, 413)


# -- edit details ----------------------------------------------------------------------------


def _edit_page(
    doc_id: str,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    replace_form: dict[str, str] | None = None,
    replace_errors: list[str] | None = None,
) -> Response:
    ws = workspace()
    doc = ws.corpus.get(doc_id)
    meta = doc.meta.model_dump(mode="json")
    html = render_template(
        "doc_edit.html",
        doc=doc,
        form=form
        if form is not None
        else {k: meta.get(k) or "" for k in META_FIELDS} | {"aliases": "\n".join(meta["aliases"])},
        meta_version=ws.corpus.meta_version(doc_id),
        errors=errors or [],
        replace_form=replace_form or {},
        replace_errors=replace_errors or [],
        kinds=KINDS,
        claims=len(ws.claims(doc=doc_id)),
    )
    return html_response(html, status)


@bp.get("/documents/<doc_id>/edit")
@permission("viewer")
def edit(doc_id: str) -> Response:
    """The document's details form and the replace-text form."""
    _writers_only()
    return _edit_page(doc_id)


@bp.post("/documents/<doc_id>/meta")
@permission("reviewer")
def set_meta(doc_id: str) -> Response:
    """Save the details (title, outlet, author, date, URL, other URLs, language, notes)."""
    form = form_fields()
    data: dict[str, Any] = {k: form.get(k, "") for k in META_FIELDS}
    if "aliases" in form:  # one a line
        data["aliases"] = [u.strip() for u in form.get("aliases", "").splitlines() if u.strip()]
    try:
        workspace().set_document_meta(doc_id, data, form.get("meta_version", ""))
    except InvalidInput as exc:
        return _edit_page(doc_id, exc.status, form=form, errors=messages(exc))
    except AnnotateError as exc:
        if exc.status == 409:
            return _edit_page(doc_id, 409, form=form, errors=[exc.message])
        raise
    flash("Details saved.", "ok")
    return redirect(url_for("pages.document", doc_id=doc_id), code=303)


# -- replace text ----------------------------------------------------------------------------


def _grouped(moves: list[Relocation]) -> list[tuple[str, list[Relocation]]]:
    return [(o, [m for m in moves if m.outcome == o]) for o in OUTCOME_ORDER]


@bp.post("/documents/<doc_id>/replace")
@permission("adjudicator")
def replace(doc_id: str) -> Response:
    """`action=preview`: what the new text does to every anchor, nothing saved; `action=save`
    (from the preview): write the text and re-anchor, if the text is still the one previewed.
    """
    ws = workspace()
    form = form_fields()
    doc = ws.corpus.get(doc_id)
    try:
        item = _input_from_form(form, with_meta=False)
        with _reading_slot():
            text, _, _, notes = read_text(item, final_newline=doc.text.endswith("\n"))
        if form.get("action") != "save":
            moves = ws.preview_replace(doc_id, text)
        else:
            done = ws.replace_text(doc_id, text, form.get("base", ""), actor())
            changed = len({m.claim for m in done if m.changes})
            orphaned = sum(m.outcome in ("orphaned", "still orphaned") for m in done)
            flash(
                f"Text replaced; {changed} claim(s) re-anchored"
                + (
                    f", {orphaned} appearance(s) orphaned: attach them again below"
                    if orphaned
                    else ""
                ),
                "warn" if orphaned else "ok",
            )
            return redirect(url_for("pages.document", doc_id=doc_id), code=303)
    except AnnotateError as exc:
        if exc.status not in (409, 422) and not isinstance(exc, Busy):
            raise
        form.pop("action", None)
        return _edit_page(doc_id, exc.status, replace_form=form, replace_errors=messages(exc))
    html = render_template(
        "doc_replace.html",
        doc=doc,
        text=text,
        notes=notes,
        moves=moves,
        groups=_grouped(moves),
        claims=len({m.claim for m in moves}),
    )
    return html_response(html, 200)


# -- JSON API ------------------------------------------------------------------------------


def _doc_json(doc_id: str) -> dict[str, Any]:
    ws = workspace()
    doc = ws.corpus.get(doc_id)
    return {**doc.info().model_dump(mode="json"), "meta_version": ws.corpus.meta_version(doc_id)}


@bp.post("/api/documents")
@permission("reviewer")
def api_add() -> Response:
    """Add a document: `{text, title?, outlet?, author?, published?, url?, language?, notes?,
    id?, format?: auto|text|html}`; 201 with its metadata, `report` and Location."""
    data = body_object()
    text = data.get("text")
    if not isinstance(text, str):
        raise InvalidInput(
            "text: required (the article as text or HTML)",
            [detail("text", "required string")],
        )
    allowed = {"text", "id", "format", *META_FIELDS}
    extra = sorted(set(data) - allowed)
    if extra:
        raise InvalidInput(f"{extra[0]}: unknown field", [detail(extra[0], "unknown field")])
    for key in ("id", "format", *META_FIELDS):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InvalidInput(f"{key}: must be a string", [detail(key, "must be a string")])
    item = Input(
        raw=text.encode("utf-8"),
        origin="text",
        fields={k: data.get(k) for k in META_FIELDS if data.get(k) is not None},
        id=data.get("id") or None,
        kind=data.get("format") or "auto",
    )
    with _reading_slot():
        ((prepared, doc),) = add_documents(workspace().corpus, [item], hint=api_hint)
    resp = jsonify({**_doc_json(doc.id), "report": prepared.notes})
    resp.status_code = 201
    resp.headers["Location"] = url_for("api.document", doc_id=doc.id)
    return resp


@bp.patch("/api/documents/<doc_id>")
@permission("reviewer")
def api_set_meta(doc_id: str) -> Response:
    """Change metadata fields (null or "" clears one); `If-Match` names the `meta_version`
    read (428 without it, 409 when stale). The text cannot be changed here."""
    raw = (request.headers.get("If-Match") or "").strip().removeprefix("W/").strip('"')
    if not raw:
        raise PreconditionRequired(
            "If-Match is required: send the meta_version of the document you read"
        )
    # The precondition before the content (RFC 9110 §13.2.1): a stale one whatever the body.
    ws = workspace()
    ws.corpus.get(doc_id)
    if raw != ws.corpus.meta_version(doc_id):
        raise StaleText(
            f"the details of '{doc_id}' were changed meanwhile: reload and try again",
            [detail("meta_version", "stale")],
        )
    data = body_object()
    if "text" in data:
        raise InvalidInput(
            "text: the text is replaced through the replace-text preview, not here",
            [detail("text", "not changeable here")],
        )
    workspace().set_document_meta(doc_id, data, raw)
    return jsonify(_doc_json(doc_id))
