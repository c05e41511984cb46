"""The HTTP JSON API (DESIGN.md): documents, claims, verdicts, exports.

Every change names the version it read in `If-Match`: none is 428, a stale one 412 with the
current claim in the body. Bad input is 422 with `{"error", "details"}` naming the field.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    request,
    stream_with_context,
    url_for,
)

from ..errors import BrokenRecord, Forbidden, InvalidInput, NotFound, NothingToChange, detail
from ..formats.export import FORMATS, export_stream
from ..record.models import REVIEW_STATUSES, VERDICTS, Claim
from ..record.questions import Question, public, question_of
from .common import (
    Paging,
    actor,
    blind_to,
    body,
    error_json,
    if_match,
    permission,
    seen_json,
    sees_every_review,
    workspace,
)
from .markup import marks_html
from .openapi import CLAIM_FIELDS, VERDICT_FIELDS

bp = Blueprint("api", __name__)


def checked_version(claim_id: str) -> int:
    """The version `If-Match` names, checked against the claim before the body is read: a
    stale one is 412 even when the body is invalid too (preconditions come first)."""
    version = if_match()
    workspace().require_version(claim_id, version)
    return version


REPRESENTATION = frozenset({*Claim.model_fields, "review_status", "blind"}) - {"history"}
"""The fields of a claim as the API gives it."""


def taken_back(claim_id: str, writable: frozenset[str], review: bool = False) -> Any:
    """The request's body with what it may change, once the read-only fields it carries
    (those of the claim as `GET /api/claims/<id>` gave it: id, version, review_status,
    timestamps, …; for a review, its `reviewed_at`) were found to agree with the server.
    Fields the representation does not have are left in, for the model to refuse.

    :raise InvalidInput: naming each read-only field whose value is not the server's.
    """
    data = body()
    if not isinstance(data, dict):
        return data
    read_only = frozenset({"reviewed_at"}) if review else REPRESENTATION - writable
    if not any(key in read_only and key not in writable for key in data):
        # Nothing to compare: the claim is not read again nor made JSON for it (a verdict
        # sent with only the fields it may change, as `bench.server` sends one).
        return dict(data)
    claim = workspace().claim(claim_id)
    if review:
        mine = claim.reviews.get(actor())
        current = mine.model_dump(mode="json", exclude_none=True) if mine else {}
    else:
        current = seen_json(claim)
    out: dict[str, Any] = {}
    details = []
    for key, value in data.items():
        if key in writable or key not in read_only:
            out[key] = value
            continue
        server = current.get(key, _absent(key))
        if value != server:
            details.append(
                detail(
                    key,
                    f"read-only: it is {json.dumps(server, ensure_ascii=False)[:200]} on the "
                    f"server, not {json.dumps(value, ensure_ascii=False)[:200]}; leave it out "
                    "or send it as the API gave it",
                )
            )
    if details:
        raise InvalidInput(f"{details[0]['field']}: {details[0]['message']}", details)
    return out


def _absent(key: str) -> Any:
    """What a field the representation leaves out stands for (its default)."""
    field = Claim.model_fields.get(key)
    if field is None:
        return False if key == "blind" else None
    return field.get_default(call_default_factory=True)


def unless_unchanged(change: Callable[[], Claim]) -> Response:
    """The claim after `change`, or as it is when the change sends what it has already
    (200 either way: sending the same twice is one change, RFC 9110 §9.2.2)."""
    try:
        return with_etag(change())
    except NothingToChange as exc:
        if exc.current is None:
            raise
        return with_etag(exc.current)


def with_etag(claim: Claim, status: int = 200) -> Response:
    """The claim as JSON with its version as the ETag."""
    resp = jsonify(seen_json(claim))
    resp.status_code = status
    resp.headers["ETag"] = f'"{claim.version}"'
    return resp


@bp.get("/healthz")
@permission("open")
def healthz() -> Response:
    """Liveness probe that touches no store: the baseline for benchmarks."""
    return Response("ok", mimetype="text/plain")


@bp.get("/api/openapi.json")
@permission("open")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (schemas generated from the models)."""
    from .openapi import document

    return jsonify(document())


@bp.get("/api/documents")
@permission("viewer")
def documents() -> Response:
    """A page of the documents' metadata with id, sha256 and length, by id (`limit`,
    `offset`; `Link` and `X-Total-Count` headers)."""
    paging = Paging.asked()
    every = workspace().corpus.documents()
    shown = [d.info().model_dump(mode="json") for d in paging.window(every)]
    return paging.headers(jsonify(shown), len(every))


@bp.get("/api/documents/<doc_id>")
@permission("viewer")
def document(doc_id: str) -> Response:
    """One document's metadata and text. :raise 404:"""
    doc = workspace().corpus.get(doc_id)
    return jsonify({**doc.info().model_dump(mode="json"), "text": doc.text})


@bp.get("/api/claims")
@permission("viewer")
def claims() -> Response:
    """A page of the claims (`limit` from `offset`, with `Link` and `X-Total-Count`), filtered
    by `doc`, `verdict` (or `unreviewed`), `claimant`, `tag` and text `q`: the page is chosen
    from the index's summaries, and only its claims are read."""
    args = request.args
    paging = Paging.asked()
    verdict = args.get("verdict")
    if verdict and verdict not in (*VERDICTS, "unreviewed"):
        return error_json(
            422,
            f"unknown verdict '{verdict}'",
            [detail("verdict", f"one of {', '.join((*VERDICTS, 'unreviewed'))}")],
        )
    ws = workspace()
    q = args.get("q")
    if not q:
        found = ws.find(
            doc=args.get("doc"),
            verdict=args.get("verdict"),
            claimant=args.get("claimant"),
            tag=args.get("tag"),
        )
        shown = (seen_json(c) for c in ws.each_read(paging.window(found)))
        return paging.headers(json_array(shown), len(found))
    result = ws.search_claims(
        q, args.get("doc"), args.get("verdict"), args.get("claimant"), args.get("tag")
    )
    page = list(paging.window(result.claims))
    marked = result.highlights(page)

    def matched() -> Iterator[dict[str, Any]]:
        for rank, claim in enumerate(ws.each_read(page), paging.offset + 1):
            shown_claim = seen_json(claim)
            fields = marked.get(claim.id, {})
            if "rationale" not in shown_claim:
                fields.pop("rationale", None)
            highlights = {k: str(marks_html(v)) for k, v in fields.items()}
            shown_claim["match"] = {"rank": rank, "every": result.every, "highlights": highlights}
            yield shown_claim

    return paging.headers(json_array(matched()), len(result.claims))


def json_array(items: Iterable[Any]) -> Response:
    """A JSON list answered as `jsonify(list(items))` would be, each item encoded as it is
    made (the app's `FastJSON.array`): a page of 1,000 claims is never held whole."""
    array = getattr(current_app.json, "array", None)
    return cast(Response, array(items)) if array is not None else jsonify(list(items))


@bp.post("/api/claims")
@permission("reviewer")
def create() -> Response:
    """Create a claim: 201 with the claim, its ETag and Location."""
    claim = workspace().create_claim(body(), actor())
    resp = with_etag(claim, 201)
    resp.headers["Location"] = url_for("api.claim", claim_id=claim.id)
    return resp


@bp.get("/api/claims/<claim_id>")
@permission("viewer")
def claim(claim_id: str) -> Response:
    """One claim with its ETag. :raise 404:"""
    found = workspace().claim(claim_id)
    if request.headers.get("If-None-Match", "").strip() == f'"{found.version}"':
        resp = Response(status=304)
        resp.headers["ETag"] = f'"{found.version}"'
        return resp
    return with_etag(found)


@bp.get("/api/claims/<claim_id>/suggestions")
@permission("viewer")
def suggestions(claim_id: str) -> Response:
    """Passages that may be further appearances of a claim, and those that say its opposite
    (candidate refuting sources), each with its similarity and the reason. :raise 404:"""
    ws = workspace()
    found = ws.claim(claim_id)
    near = ws.neighbourhood(found, request.args.get("doc") or None)
    given = ws.suggestions(found, near)

    def shown(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {
                "doc": s.passage.doc,
                "start": s.passage.start,
                "end": s.passage.end,
                "exact": s.passage.text,
                "score": s.score,
                "reason": s.reason,
            }
            for s in items
        ]

    return jsonify({"appearances": shown(given.appearances), "refuting": shown(given.refuting)})


def _questions() -> tuple[list[Question], dict[str, Claim]]:
    """Every question, worked out from the index's summaries (each has the claim's relations
    and question name), and its member claims as this request may see them, read in full
    (reading every claim file took 15 s at 100,000 claims)."""
    ws = workspace()
    found = []
    claims = ws.claims_named(c for q in ws.questions() for c in q.answers)
    for question in ws.questions():  # shared: copied where a member cannot be read
        if any(c not in claims for c in question.answers):
            kept = {c: a for c, a in question.answers.items() if c in claims}
            question = dataclasses.replace(question, answers=kept)
        found.append(question)
    return found, claims


def _question_json(question: Question, claims: dict[str, Claim]) -> dict[str, Any]:
    """A question as this request may see it: a member claim blind review hides from the
    reader has no verdict and says `"blind": true` (as in the claim list)."""
    out = public(question, claims)
    for item in out["answers"]:
        if blind_to(claims[item["claim"]]):
            item["verdict"] = None
            item["blind"] = True
    return out


@bp.get("/api/questions")
@permission("viewer")
def questions_view() -> Response:
    """Every question the claims answer (groups linked by `repeats`/`contradicts`), named
    ones first by name, with each member claim's answer."""
    found, claims = _questions()
    return jsonify([_question_json(q, claims) for q in found])


def _exists(claim_id: str) -> bool:
    try:
        workspace().claim(claim_id)
    except (NotFound, BrokenRecord):
        return False
    return True


@bp.get("/api/questions/<question_id>")
@permission("viewer")
def question_view(question_id: str) -> Response:
    """One question, by its id (the claim naming it, or its first claim). :raise 404:"""
    found, claims = _questions()
    for question in found:
        if question.id == question_id:
            return jsonify(_question_json(question, claims))
    if (q := question_of(question_id, found)) is not None:
        why = f"claim {question_id} answers question '{q.id}'"
    elif _exists(question_id):
        why = f"claim {question_id} answers no question"
    else:
        why = f"no question '{question_id}'"
    return error_json(404, why, [detail("question_id", why)])


@bp.get("/api/claims/<claim_id>/history")
@permission("viewer")
def history(claim_id: str) -> Response:
    """Every recorded change of a claim: version, who, when, what changed."""
    found = workspace().claim(claim_id)
    return jsonify([h.model_dump(mode="json", exclude_none=True) for h in found.history])


@bp.patch("/api/claims/<claim_id>")
@permission("reviewer")
def patch(claim_id: str) -> Response:
    """Change statement, claimant, claim_date, appearances, tags or note. Needs If-Match."""
    version = checked_version(claim_id)
    data = taken_back(claim_id, CLAIM_FIELDS)
    return unless_unchanged(lambda: workspace().edit_claim(claim_id, version, data, actor()))


@bp.put("/api/claims/<claim_id>/verdict")
@permission("adjudicator")
def verdict(claim_id: str) -> Response:
    """Set the final verdict, rationale and sources (an adjudicator's, in team mode): the
    claim is `decided`. Needs If-Match."""
    version = checked_version(claim_id)
    data = taken_back(claim_id, VERDICT_FIELDS)
    return unless_unchanged(lambda: workspace().set_verdict(claim_id, version, data, actor()))


@bp.post("/api/claims/<claim_id>/verdict/confirm")
@permission("adjudicator")
def confirm(claim_id: str) -> Response:
    """Confirm that the final verdict still stands after its cited evidence changed (body
    `{"note": ...}`, the note optional): the claim is no longer reopened. Needs If-Match."""
    version = checked_version(claim_id)
    return with_etag(workspace().confirm_verdict(claim_id, version, actor(), body()))


@bp.put("/api/claims/<claim_id>/review")
@permission("reviewer")
def review(claim_id: str) -> Response:
    """Give or revise the requester's own review (verdict, rationale, sources). Needs
    If-Match."""
    version = checked_version(claim_id)
    data = taken_back(claim_id, VERDICT_FIELDS, review=True)
    return unless_unchanged(lambda: workspace().set_review(claim_id, version, data, actor()))


@bp.delete("/api/claims/<claim_id>/review")
@permission("reviewer")
def withdraw(claim_id: str) -> Response:
    """Withdraw the requester's own review. Needs If-Match."""
    version = checked_version(claim_id)
    return with_etag(workspace().withdraw_review(claim_id, version, actor()))


@bp.get("/api/queue")
@permission("viewer")
def queue() -> Response:
    """Claim summaries by review status (`status`), or those waiting for a reviewer's review
    (`reviewer`); under blind review, claims the requester has not reviewed say only
    `"blind": true` in place of their status, verdict and reviewers."""
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in REVIEW_STATUSES:
        return error_json(
            422,
            f"unknown review status '{status}'",
            [detail("status", f"one of {', '.join(REVIEW_STATUSES)}")],
        )
    paging = Paging.asked()
    ws = workspace()
    me, adjudicator = actor(), sees_every_review()
    found = ws.queue(status=status, reviewer=args.get("reviewer") or None)
    if ws.rules.blind and not adjudicator and status is not None:
        # The status of a claim not reviewed by the requester is not theirs to see.
        found = [s for s in found if me in s.reviewers]
    out = []
    for s in paging.window(found):
        item: dict[str, Any] = {
            "id": s.id,
            "version": s.version,
            "statement": s.statement,
            "claimant": s.claimant,
            "documents": sorted({m.doc for m in s.appearances}),
        }
        if ws.rules.blind and not adjudicator and me not in s.reviewers:
            item["blind"] = True
        else:
            item.update(
                review_status=s.review_status,
                verdict=s.verdict,
                reviewers=list(s.reviewers),
            )
        out.append(item)
    return paging.headers(jsonify(out), len(found))


@bp.get("/api/agreement")
@permission("viewer")
def agreement_view() -> Response:
    """Agreement between reviewers (what `annotate agreement --format json` prints), over all
    documents or one (`doc`). While reviews are blind, for adjudicators only."""
    ws = workspace()
    if ws.rules.blind and not sees_every_review():
        raise Forbidden(
            "agreement figures show how reviewers voted: while reviews are blind, reviewers "
            "do not see them (adjudicators and viewers do)"
        )
    doc = request.args.get("doc") or None
    if doc is not None and not ws.corpus.has(doc):
        return error_json(
            404, f"no document '{doc}' in the corpus", [detail("doc", f"no document '{doc}'")]
        )
    if doc is not None:
        return jsonify(ws.agreement(doc))
    # Over every document, streamed: at 100,000 claims the whole answer is tens of megabytes.
    return Response(ws.agreement_stream(), mimetype="application/json")


@bp.delete("/api/claims/<claim_id>")
@permission("adjudicator")
def delete(claim_id: str) -> Response:
    """Delete a claim (kept in the store's trash with its history). Needs If-Match."""
    version = checked_version(claim_id)
    workspace().delete_claim(claim_id, version, actor())
    return Response(status=204)


@bp.get("/api/export")
@permission("viewer")
def export_view() -> Response:
    """The export in `format` (json, csv, ...), with its media type; `history=1` gives a
    json export each claim's history, `excel=1` a csv export the byte order mark Excel
    needs. A claimreview export of a desk without a public base URL is refused (409)."""
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        return error_json(
            422,
            f"unknown export format '{fmt}'",
            [detail("format", f"one of {', '.join(sorted(FORMATS))}")],
        )
    spec = FORMATS[fmt]
    settings = dataclasses.replace(
        current_app.extensions["annotate_export"],
        with_history=fmt == "json" and _flag("history"),
        excel=fmt == "csv" and _flag("excel"),
    )
    # Streamed, a claim at a time: the export of 100,000 claims is 200 MB of text.
    pieces = export_stream(workspace(), fmt, settings)
    resp = Response(stream_with_context(pieces), content_type=spec.media_type)
    if request.args.get("download"):
        resp.headers["Content-Disposition"] = (
            f'attachment; filename="annotate-{spec.name}.{spec.extension}"'
        )
    return resp


def _flag(name: str) -> bool:
    """Whether a query flag is on (`1`, `true`, `yes`)."""
    return request.args.get(name, "").lower() in ("1", "true", "yes", "on")
