"""The reviewer's pages (htmx): every fragment is included by its full page.

Each write is a real form (works without JavaScript); from htmx it answers with the fragment
it changed and a `claims-changed` trigger so the marked text refreshes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import __version__
from ..errors import (
    AnnotateError,
    BrokenRecord,
    DiskProblem,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
    detail,
)
from ..formats.export import FORMATS
from ..record.models import REVIEW_STATUSES, VERDICTS, AnchorInput, Change, Claim
from ..record.questions import question_of
from ..record.reviews import chosen, differing, final_choices, joined_rationale, review_choices
from ..record.service import Marks, Summary
from .common import (
    actor,
    blind_to,
    current_user,
    error_page,
    form_fields,
    fragment_wanted,
    html_response,
    htmx,
    may,
    messages,
    permission,
    sees_every_review,
    team_mode,
    workspace,
)
from .conflicts import compare
from .docview import DocumentView, document_view, lens_key, view_cache

bp = Blueprint("pages", __name__)

STATUSES = (*VERDICTS, "unreviewed")


def _doc_titles() -> dict[str, str]:
    return {d.id: d.meta.title for d in workspace().corpus.documents()}


def _version() -> int:
    raw = request.form.get("version", "")
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput(
            "version: the form lost its version; reload the page",
            [detail("version", "missing")],
        )
    return int(raw)


def _anchor_from_form(prefix: str = "") -> AnchorInput:
    """An anchor from a selection (doc, start, end, exact) or from a typed quote."""
    f = request.form
    doc = f.get(prefix + "doc", "")
    start, end, exact = (
        f.get(prefix + "start", ""),
        f.get(prefix + "end", ""),
        f.get(prefix + "exact", ""),
    )
    if start.isascii() and start.isdigit() and end.isascii() and end.isdigit() and exact:
        return AnchorInput(doc=doc, start=int(start), end=int(end), exact=exact)
    return workspace().find_quote(doc, f.get(prefix + "quote", ""), field=prefix + "quote")


# -- pages ---------------------------------------------------------------------------------


PAGE_SIZE = 100
"""Rows per page of the documents and claims lists."""

DEFAULT_SORT = "place"
"""The claims list's order unless a column is chosen: by document (in the corpus's order),
then by where in it each claim first appears, the order a reader meets them. By id it had
looked random (ids begin with whatever the statement does); by update time a shipped or
imported record, all saved in the same second, would be in id order again."""

FIRST_DESCENDING = frozenset({"updated", "appearances"})
"""Columns whose first click sorts highest first: the newest change, the most appearances."""


def _page_number(pages: int) -> int:
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isascii() and raw.isdigit() else 1
    return min(max(number, 1), max(pages, 1))


def _pager(total: int) -> dict[str, Any]:
    """Which slice of `total` rows this request shows, and the links around it."""
    pages = max(1, -(-total // PAGE_SIZE))
    number = _page_number(pages)
    first = (number - 1) * PAGE_SIZE
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    return {
        "number": number,
        "pages": pages,
        "start": first,
        "end": min(first + PAGE_SIZE, total),
        "total": total,
        "prev": url_for(request.endpoint or "pages.index", **args, page=number - 1)
        if number > 1
        else None,
        "next": url_for(request.endpoint or "pages.index", **args, page=number + 1)
        if number < pages
        else None,
    }


@bp.get("/")
@permission("viewer")
def index() -> str:
    """The documents with their claims per verdict, and overall progress (a page of
    `PAGE_SIZE` documents at a time; the counts come from the store's index)."""
    ws = workspace()
    counts = ws.counts()
    q = request.args.get("q") or None
    docs = ws.corpus.documents()
    search = None
    if q:  # a page of the documents found, best first
        search = ws.search_documents(q, 0, 0)
        pager = _pager(search.total)
        search = ws.search_documents(q, pager["start"], pager["end"] - pager["start"])
        shown = [d for i in search.ids if (d := ws.corpus.peek(i)) is not None]
    else:
        pager = _pager(len(docs))
        shown = docs[pager["start"] : pager["end"]]
    empty: Counter[str] = Counter()
    rows = []
    for doc in shown:
        mine = counts.per_doc.get(doc.id, empty)
        rows.append({"doc": doc, "counts": mine, "total": mine.total()})
    total = counts.total.total()
    progress: dict[str, Any] = {}
    if review_mode():
        # Who has reviewed how many claims, overall and in each listed document (names and
        # numbers only: no verdict, so blind review has nothing to hide here).
        overall, per_doc = ws.reviewer_progress([doc.id for doc in shown])
        progress = {"overall": sorted(overall.items()), "per_doc": per_doc}
    return render_template(
        "index.html",
        q=q or "",
        snippets=search.snippets([doc.id for doc in shown]) if search else {},
        every=search.found.every if search else True,
        progress=progress,
        me=actor(),
        rows=rows,
        counts=counts.total,
        total=total,
        reviewed=total - counts.total["unreviewed"],
        statuses=STATUSES,
        pager=pager,
    )


def _review_context(claim: Claim, ticked: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What the panel shows of the reviews: whether blind review hides them, the requester's
    own, who differs, and the sources each form offers (`ticked`: the boxes a refused form
    had ticked, by form, shown ticked again)."""
    me = actor()
    own = claim.reviews.get(me)
    choices = review_choices(claim, me)
    picked = own.sources if own else claim.sources
    ticked = ticked or {}
    review_on = (
        [str(i) in ticked["review"] for i in range(len(choices))]
        if "review" in ticked
        else [s in picked for s in choices]
    )
    final = final_choices(claim)
    final_on = (
        [str(i) in ticked["adjudicate"] for i in range(len(final))]
        if "adjudicate" in ticked
        else [True] * len(final)
    )
    return {
        "blind": blind_to(claim),
        "own_review": own,
        "differs": differing(claim.reviews),
        "review_sources": list(zip(range(len(choices)), choices, review_on, strict=True)),
        "final_sources": list(zip(range(len(final)), final, final_on, strict=True)),
        "final_rationale": claim.rationale
        if claim.rationale
        else (joined_rationale(claim.reviews) if claim.reviews else ""),
    }


def _draft_key(claim: Claim) -> str:
    """Where the browser keeps the panel's unsaved draft: per store, person and claim."""
    store = hashlib.sha256(str(workspace().store.root.resolve()).encode()).hexdigest()[:12]
    return f"{store}|{actor()}|{claim.id}"


RELATION_KINDS = {
    "repeats": "repeats",
    "contradicts": "contradicts",
    "supports": "is evidence for",
}
"""How the panel says each relation kind, from the claim that makes it."""
INCOMING = {"repeats": "repeated by", "contradicts": "contradicted by", "supports": "supported by"}
"""The same, said from the claim linked to."""


def _related_context(claim: Claim, near: list[str]) -> dict[str, Any]:
    """What the panel's "Related claims" shows: this claim's relations (each with the other
    claim, None when it is gone), the claims linking to it, the question it answers with the
    other answers, candidates from the polarity suggestions, and claims found by words."""
    ws = workspace()
    # Who links to it and its question come from the index (once per change of the store:
    # `Workspace.links_to`, `questions`); only the claims the panel shows are read in full.
    # Reading every claim file instead took 16 s a panel at 100,000 claims.
    read: dict[str, Claim | None] = {}

    def full(claim_id: str) -> Claim | None:
        if claim_id not in read:
            try:
                read[claim_id] = ws.claim(claim_id)
            except (NotFound, BrokenRecord):  # gone or broken since it was indexed
                read[claim_id] = None
        return read[claim_id]

    incoming = [
        (other, kind)
        for cid, kind in ws.links_to().get(claim.id, ())
        if cid != claim.id and (other := full(cid)) is not None
    ]
    question = question_of(claim.id, ws.questions())
    members = [
        (other, answer)
        for cid, answer in (question.answers.items() if question else ())
        if cid != claim.id and (other := full(cid)) is not None
    ]
    candidates = [
        (c, other)
        for c in ws.relation_candidates(claim, near, [o.id for o, _ in incoming])
        if (other := full(c.claim)) is not None
    ]
    relate_q = (request.args.get("relate_q") or request.form.get("relate_q") or "").strip()
    results: list[Claim] = []
    if relate_q:
        hits = ws.search_claims(relate_q).claims[: RELATE_RESULTS + 1]
        results = [other for s in hits if s.id != claim.id and (other := full(s.id)) is not None][
            :RELATE_RESULTS
        ]
    return {
        "relations": [(i, r, full(r.claim)) for i, r in enumerate(claim.relations)],
        "incoming": incoming,
        "question": question,
        "question_members": members,
        "relation_candidates": candidates,
        "relate_q": relate_q,
        "relate_results": results,
        "relation_kinds": RELATION_KINDS,
        "linked_changes": linked_changes,
        "incoming_kinds": INCOMING,
    }


def linked_changes(change: Change) -> list[str]:
    """A history entry's changes to relations and the question name, as people read them:
    "linked: contradicts ru-mod-no-iskander-used", "unlinked: …", "question named: …"."""
    out = []
    for key, (old, new) in change.changes.items():
        if key == "relations":  # the whole list (it was or became empty)
            out += [f"linked: {r['kind']} {r['claim']}" for r in new or [] if r not in (old or [])]
            out += [
                f"unlinked: {r['kind']} {r['claim']}" for r in old or [] if r not in (new or [])
            ]
        elif key.startswith("relations["):
            if old is None:
                out.append(f"linked: {new['kind']} {new['claim']}")
            elif new is None:
                out.append(f"unlinked: {old['kind']} {old['claim']}")
            else:
                out.append(f"relation to {new['claim']}: {old['kind']} → {new['kind']}")
        elif key == "question":
            if new is None:
                out.append("question name removed")
            else:
                out.append(f"question named: “{new['name']}” (this claim: {new['answer']})")
    return out


RELATE_RESULTS = 8
"""How many claims a search by words in the panel offers to link."""


def _panel_context(
    claim: Claim,
    doc_id: str | None,
    ticked: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    ws = workspace()
    titles = _doc_titles()
    near = ws.neighbourhood(claim, doc_id)
    return {
        **_review_context(claim, ticked),
        **_related_context(claim, near),
        "draft_key": _draft_key(claim),
        "compared": None,
        "claim": claim,
        "doc_id": doc_id,
        "titles": titles,
        "choices": [(d, titles[d]) for d in near if d in titles],
        "suggestions": ws.suggestions(claim, near),
        "errors": {},
        "form": {},
        "conflict": None,
        "message": None,
        **extra,
    }


def _document_view(doc_id: str) -> tuple[Any, DocumentView]:
    """The document and the parts of its page made from its claims, as this request may see
    them (kept between requests while nothing they are made from changes: see `docview`)."""
    ws = workspace()
    doc = ws.corpus.get(doc_id)
    key = (doc_id, lens_key(ws, actor()), request.script_root)

    def render_claims(doc: Any, claims: list[Claim | Summary]) -> str:
        return render_template("partials/_doc_claims.html", doc=doc, claims=claims)

    return doc, document_view(view_cache(current_app.extensions), ws, doc, key, render_claims)


def _document_context(doc_id: str, claim_id: str | None) -> dict[str, Any]:
    ws = workspace()
    doc, view = _document_view(doc_id)
    ctx: dict[str, Any] = {
        "doc": doc,
        "claims": view.claims,
        "claims_html": view.claims_html,
        "counts": view.counts,
        "statuses": STATUSES,
        "marked": view.marked,
        "drifted": view.drifted,
        "orphans": view.orphans,
        "panel": None,
    }
    if claim_id:
        try:
            ctx["panel"] = _panel_context(ws.claim(claim_id), doc_id)
        except NotFound:
            ctx["panel_missing"] = claim_id
    return ctx


@bp.get("/documents/<doc_id>")
@permission("viewer")
def document(doc_id: str) -> str:
    """A document's whole text with every claim marked; `?claim=ID` opens its panel."""
    return render_template("document.html", **_document_context(doc_id, request.args.get("claim")))


@bp.get("/documents/<doc_id>/text")
@permission("viewer")
def document_text(doc_id: str) -> str:
    """The marked text alone (refreshed after every change; shown in the quote picker).

    Refreshed with htmx, it brings the verdict counts too, swapped out of band: they had
    stayed as they were until the page was reloaded.
    """
    ctx = _document_context(doc_id, None)
    picker = bool(request.args.get("picker"))
    return render_template(
        "partials/_doc_text.html", picker=picker, refresh=fragment_wanted() and not picker, **ctx
    )


@bp.get("/documents/<doc_id>/claims")
@permission("viewer")
def document_claims(doc_id: str) -> str:
    """The list of a document's claims, in the order of its text (refreshed after every
    change)."""
    return str(_document_view(doc_id)[1].claims_html)


@bp.get("/claims/<claim_id>")
@permission("viewer")
def claim(claim_id: str) -> Any:
    """A claim's panel: appearances, verdict, sources, suggestions, history."""
    ws = workspace()
    found = ws.claim(claim_id)
    doc_id = request.args.get("doc") or found.appearances[0].doc
    if fragment_wanted():
        return render_template("partials/_claim_panel.html", **_panel_context(found, doc_id))
    relate_q = request.args.get("relate_q") or None
    target = url_for("pages.document", doc_id=doc_id, claim=claim_id, relate_q=relate_q)
    return redirect(target + ("#related-h" if relate_q else "#panel"))


@bp.get("/claims")
@permission("viewer")
def claims() -> str:
    """Every claim; filter by verdict, document, claimant, tag and text; sortable."""
    args = request.args
    ws = workspace()
    q = args.get("q") or None
    doc, verdict = args.get("doc") or None, args.get("verdict") or None
    claimant, tag = args.get("claimant") or None, args.get("tag") or None
    result = ws.search_claims(q, doc, verdict, claimant, tag) if q else None
    found = result.claims if result else ws.find(doc, verdict, None, claimant, tag)
    sort = args.get("sort") or ("relevance" if q else DEFAULT_SORT)
    rank = {d: i for i, d in enumerate(_doc_titles())}
    ranks = Marks.ranked(rank, len(rank))

    def place(c: Summary) -> tuple[int, int, str]:
        return (*c.appearances.first(ranks, len(rank)), c.id)

    keys: dict[str, Callable[[Summary], Any]] = {
        "place": place,
        "id": lambda c: c.id,
        "statement": lambda c: c.statement.casefold(),
        "claimant": lambda c: c.claimant.casefold(),
        "verdict": lambda c: (STATUSES.index(c.status), c.id),
        # A claim dated by its month only comes before the days of that month.
        "date": lambda c: (
            c.claim_date is None and c.claim_month is None,
            str(c.claim_date or c.claim_month or ""),
            c.id,
        ),
        "updated": lambda c: (c.updated_at, c.id),
        "appearances": lambda c: (len(c.appearances), c.id),
    }
    if sort == "relevance" and q:
        pass  # the search gives them best first
    elif sort.lstrip("-") not in keys:
        sort = DEFAULT_SORT
    # Best first, a search's claims are fetched a page at a time; sorted another way, all.
    if sort not in ("id", "relevance"):  # the index gives them by id already
        found = sorted(found, key=keys[sort.lstrip("-")], reverse=sort.startswith("-"))
    elif sort == "id" and q:
        found = sorted(found, key=keys["id"])
    pager = _pager(len(found))
    shown = found[pager["start"] : pager["end"]]
    ctx = {
        "claims": shown,
        "marked": result.highlights(shown) if result else {},
        "every": result.every if result else True,
        "pager": pager,
        "titles": _doc_titles(),
        "args": args,
        "sort": sort,
        "default_sort": DEFAULT_SORT,
        "first_descending": FIRST_DESCENDING,
        "statuses": STATUSES,
        "claimants": ws.counts().claimants,
    }
    if fragment_wanted() and htmx.target == "claim-rows":
        return render_template("partials/_claim_rows.html", **ctx)
    return render_template("claims.html", **ctx)


@bp.get("/queue")
@permission("viewer")
def queue() -> str:
    """The review queue: the claims waiting for the requester's review, the disagreements to
    adjudicate, and the claims by review status, with counts."""
    ws = workspace()
    me = actor()
    every = ws.queue()
    all_seen = not ws.rules.blind or sees_every_review()
    waiting = ws.queue(reviewer=me) if may("reviewer") else []
    mine = [s for s in every if me in s.reviewers]
    tabs: list[tuple[str, str, int]] = []
    if may("reviewer"):
        tabs += [("waiting", "Waiting for your review", len(waiting))]
        tabs += [("mine", "Reviewed by you", len(mine))]
    by_status: Counter[str] = Counter(s.review_status for s in every)
    if all_seen:
        tabs += [(st, st.capitalize(), by_status[st]) for st in REVIEW_STATUSES]
    default = "disagreement" if may("adjudicator") and all_seen else tabs[0][0]
    tab = request.args.get("status") or default
    if tab not in {t for t, _, _ in tabs}:
        tab = default
    if tab == "waiting":
        rows = waiting
    elif tab == "mine":
        rows = mine
    else:
        rows = [s for s in every if s.review_status == tab]
    pager = _pager(len(rows))
    return render_template(
        "queue.html",
        tabs=tabs,
        tab=tab,
        rows=rows[pager["start"] : pager["end"]],
        pager=pager,
        titles=_doc_titles(),
        show_status=all_seen or tab == "mine",
        required=ws.rules.required,
        blind=ws.rules.blind,
    )


@bp.get("/agreement")
@permission("viewer")
def agreement_page() -> str:
    """Agreement between reviewers, overall, per pair (with confusion matrices) and per
    document; while reviews are blind, not for reviewers."""
    ws = workspace()
    if ws.rules.blind and not sees_every_review():
        raise Forbidden(
            "agreement figures show how reviewers voted: while reviews are blind, reviewers "
            "do not see them (adjudicators and viewers do)"
        )
    doc = request.args.get("doc") or None
    if doc is not None and not ws.corpus.has(doc):
        raise NotFound(f"no document '{doc}' in the corpus")
    return render_template(
        "agreement.html",
        result=ws.agreement(doc),
        doc=doc,
        titles=_doc_titles(),
        verdicts=VERDICTS,
    )


@bp.get("/export")
@permission("viewer")
def export_page() -> str:
    """Download links for every export format."""
    settings = current_app.extensions["annotate_export"]
    return render_template(
        "export.html",
        formats=sorted(FORMATS.values(), key=lambda f: f.name),
        unpublishable=settings.publish_problem(),
    )


# -- writes --------------------------------------------------------------------------------


def _done(claim: Claim, doc_id: str | None, message: str) -> Response:
    if fragment_wanted():
        html = render_template(
            "partials/_claim_panel.html", **_panel_context(claim, doc_id, message=message)
        )
        return html_response(html, 200, trigger={"claims-changed": claim.id})
    target = url_for("pages.document", doc_id=doc_id or claim.appearances[0].doc, claim=claim.id)
    return redirect(target + "#panel", code=303)


def _failed(
    claim_id: str, doc_id: str | None, exc: AnnotateError, form: dict[str, str], section: str
) -> Response:
    """Re-render the panel with the messages, keeping what the reviewer typed (a stale
    version: their version beside it, field by field)."""
    ws = workspace()
    # Read again through the workspace, so that blind review hides what it hides.
    current = ws.claim(claim_id)
    ticked = {section: request.form.getlist("source")}
    extra: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if isinstance(exc, StaleVersion):
        status = 409
        extra["conflict"] = current
        extra["compared"] = compare(
            current, form, ticked[section], section, actor(), _doc_titles(), blind_to(current)
        )
    else:
        status = exc.status
        for d in exc.details or [detail(section, exc.message)]:
            errors.setdefault(section, []).append(f"{d['field']}: {d['message']}")
    ctx = _panel_context(
        current, doc_id, ticked, errors=errors, form={**form, "section": section}, **extra
    )
    if fragment_wanted():
        return html_response(render_template("partials/_claim_panel.html", **ctx), status)
    page = _document_context(doc_id or current.appearances[0].doc, None)
    page["panel"] = ctx
    return html_response(render_template("document.html", **page), status)


def _write(claim_id: str, section: str, action: Any, message: str) -> Response:
    doc_id = request.form.get("doc_context") or None
    form = form_fields()
    try:
        claim = action()
    except (InvalidInput, StaleVersion) as exc:
        return _failed(claim_id, doc_id, exc, form, section)
    except DiskProblem as exc:
        return _disk_failed(_failed(claim_id, doc_id, exc, form, section), exc)
    return _done(claim, doc_id, message)


def _disk_failed(resp: Response, exc: DiskProblem) -> Response:
    """The page or panel as typed, with the disk's problem; htmx keeps the form in place and
    shows the message of the header."""
    resp.headers["X-Annotate-Error"] = exc.message
    return resp


@bp.post("/claims")
@permission("reviewer")
def create() -> Response:
    """Create a claim from a selection (or a typed quote) with statement, claimant, date."""
    f = request.form
    doc_id = f.get("doc", "")
    try:
        anchor = _anchor_from_form()
        data: dict[str, Any] = {
            "statement": f.get("statement", ""),
            "claimant": f.get("claimant", ""),
            "appearances": [anchor.model_dump()],
        }
        if f.get("claim_date"):
            data["claim_date"] = f["claim_date"]
        claim = workspace().create_claim(data, actor())
    except InvalidInput as exc:
        return _new_claim_failed(doc_id, exc)
    except DiskProblem as exc:
        return _disk_failed(_new_claim_failed(doc_id, exc), exc)
    return _done(claim, doc_id, "Claim created. Now give it a verdict and cite sources.")


def _new_claim_failed(doc_id: str, exc: InvalidInput | DiskProblem) -> Response:
    form = form_fields()
    errors = messages(exc)
    if fragment_wanted():
        html = render_template("partials/_new_claim.html", doc_id=doc_id, form=form, errors=errors)
        return html_response(html, exc.status)
    try:
        page = _document_context(doc_id, None)
    except NotFound:
        return error_page(exc.status, exc.message)
    page.update(new_form=form, new_errors=errors)
    return html_response(render_template("document.html", **page), exc.status)


@bp.post("/claims/<claim_id>/edit")
@permission("reviewer")
def edit(claim_id: str) -> Response:
    """Change statement, its short form, claimant, claim date, tags (comma-separated) and
    note (an empty short form removes it)."""
    f = request.form
    data: dict[str, Any] = {
        "statement": f.get("statement", ""),
        "short_statement": f.get("short_statement", "").strip() or None,
        "claimant": f.get("claimant", ""),
        "claim_date": f.get("claim_date") or None,
    }
    if "claim_month" in f:
        data["claim_month"] = f.get("claim_month") or None
    if "tags" in f:
        data["tags"] = [t.strip() for t in f.get("tags", "").split(",") if t.strip()]
    if "note" in f:
        data["note"] = f.get("note", "").strip() or None
    return _write(
        claim_id,
        "edit",
        lambda: workspace().edit_claim(claim_id, _version(), data, actor()),
        "Claim saved.",
    )


def _basis(form: Any) -> str | None:
    """The basis a verdict form chose: only a disputed verdict has one (the form offers it
    beside the verdict; chosen with another verdict, it is left out)."""
    if form.get("verdict") != "disputed" or form.get("basis") in (None, "", "contested"):
        return None  # absent means contested
    return str(form.get("basis"))


@bp.post("/claims/<claim_id>/verdict")
@permission("reviewer")
def verdict(claim_id: str) -> Response:
    """Set the verdict and rationale (the cited sources stay): the final verdict, which
    under several reviewers only an adjudicator sets."""
    if review_mode() and not may("adjudicator"):
        raise Forbidden(
            "the final verdict is set by an adjudicator (or by agreeing reviews): give your "
            "own review instead"
        )
    f = request.form
    return _write(
        claim_id,
        "verdict",
        lambda: workspace().decide(
            claim_id,
            _version(),
            f.get("verdict", ""),
            f.get("rationale", ""),
            actor(),
            _basis(f),
        ),
        "Verdict saved.",
    )


@bp.post("/claims/<claim_id>/verdict/confirm")
@permission("reviewer")
def confirm(claim_id: str) -> Response:
    """The final verdict still stands after its evidence changed: reopened no more (an
    adjudicator's, under several reviewers)."""
    if review_mode() and not may("adjudicator"):
        raise Forbidden("an adjudicator confirms a final verdict whose evidence changed")
    f = request.form
    return _write(
        claim_id,
        "verdict",
        lambda: workspace().confirm_verdict(
            claim_id, _version(), actor(), {"note": f.get("note")} if f.get("note") else None
        ),
        "Verdict confirmed: it still stands.",
    )


def _verdict_form(choices: list[Any]) -> dict[str, Any]:
    """A review's or a final verdict's form as the API's body: verdict, rationale, basis,
    and the sources ticked among `choices`."""
    f = request.form
    return {
        "verdict": f.get("verdict", ""),
        "rationale": f.get("rationale", ""),
        "sources": chosen(choices, f.getlist("source")),
        "basis": _basis(f),
    }


@bp.post("/claims/<claim_id>/review")
@permission("reviewer")
def review(claim_id: str) -> Response:
    """Give or revise one's own review: verdict, rationale, and the sources it cites (picked
    from the evidence cited on the claim)."""

    def action() -> Claim:
        ws = workspace()
        version = _version()
        data = _verdict_form(review_choices(ws.claim(claim_id), actor()))
        return ws.set_review(claim_id, version, data, actor())

    return _write(claim_id, "review", action, "Your review is saved.")


@bp.post("/claims/<claim_id>/review/withdraw")
@permission("reviewer")
def withdraw_review(claim_id: str) -> Response:
    """Withdraw one's own review."""
    return _write(
        claim_id,
        "review",
        lambda: workspace().withdraw_review(claim_id, _version(), actor()),
        "Your review is withdrawn.",
    )


@bp.post("/claims/<claim_id>/adjudicate")
@permission("adjudicator")
def adjudicate(claim_id: str) -> Response:
    """Set the final verdict: verdict, rationale, and the sources picked from the reviews'
    (merged) and the claim's."""

    def action() -> Claim:
        ws = workspace()
        version = _version()
        data = _verdict_form(final_choices(ws.claim(claim_id)))
        return ws.set_verdict(claim_id, version, data, actor())

    return _write(claim_id, "adjudicate", action, "Final verdict saved: the claim is decided.")


@bp.post("/claims/<claim_id>/conflicts/<int:index>")
@permission("reviewer")
def resolve_conflict(claim_id: str, index: int) -> Response:
    """Decide a conflict a git merge recorded: keep ours or take theirs (a final verdict's
    conflict is an adjudicator's to decide under several reviewers)."""
    ws = workspace()
    found = ws.claim(claim_id)
    if (
        0 <= index < len(found.conflicts)
        and found.conflicts[index].field == "verdict"
        and review_mode()
        and not may("adjudicator")
    ):
        raise Forbidden("two different final verdicts are an adjudicator's to decide")
    take = request.form.get("take", "")
    return _write(
        claim_id,
        "conflicts",
        lambda: ws.resolve_conflict(claim_id, _version(), index, take, actor()),
        "Conflict decided.",
    )


@bp.post("/claims/<claim_id>/relations")
@permission("reviewer")
def add_relation(claim_id: str) -> Response:
    """Link this claim to another: it repeats, contradicts or is evidence for it (a link to
    a claim linked already changes its kind)."""
    f = request.form

    def action() -> Claim:
        ws = workspace()
        current = ws.claim(claim_id)
        other = f.get("claim", "").strip()
        new = {"kind": f.get("kind", ""), "claim": other}
        relations = [r.model_dump() for r in current.relations]
        at = next((i for i, r in enumerate(relations) if r["claim"] == other), None)
        if at is None:
            relations.append(new)
        else:
            relations[at] = new
        return ws.edit_claim(claim_id, _version(), {"relations": relations}, actor())

    return _write(claim_id, "relations", action, "Relation saved.")


@bp.post("/claims/<claim_id>/relations/<int:index>/delete")
@permission("reviewer")
def remove_relation(claim_id: str, index: int) -> Response:
    """Remove one of this claim's relations."""

    def action() -> Claim:
        ws = workspace()
        relations = [r.model_dump() for r in ws.claim(claim_id).relations]
        if not 0 <= index < len(relations):
            raise InvalidInput(
                f"relations[{index}]: no such relation",
                [detail(f"relations[{index}]", "no such relation")],
            )
        del relations[index]
        return ws.edit_claim(claim_id, _version(), {"relations": relations}, actor())

    return _write(claim_id, "relations", action, "Relation removed.")


@bp.post("/claims/<claim_id>/question")
@permission("reviewer")
def name_question(claim_id: str) -> Response:
    """Name the question this claim's group answers, with this claim's answer (an empty
    name takes the name away)."""
    f = request.form
    name = f.get("question_name", "").strip()
    question = {"name": name, "answer": f.get("answer", "")} if name else None
    return _write(
        claim_id,
        "question",
        lambda: workspace().edit_claim(claim_id, _version(), {"question": question}, actor()),
        "Question named." if name else "Question name removed.",
    )


@bp.post("/claims/<claim_id>/sources")
@permission("reviewer")
def add_source(claim_id: str) -> Response:
    """Cite a quote (selection or typed) from any document, or a URL, with a stance."""
    f = request.form

    def action() -> Claim:
        data: dict[str, Any] = {"stance": f.get("stance", "")}
        if f.get("kind") == "url":
            data.update(
                url=f.get("url", ""),
                title=f.get("title") or None,
                publisher=f.get("publisher") or None,
            )
        else:
            data["quote"] = _anchor_from_form("source_").model_dump()
        return workspace().add_source(claim_id, _version(), data, actor())

    return _write(claim_id, "sources", action, "Source added.")


@bp.post("/claims/<claim_id>/sources/<int:index>/delete")
@permission("reviewer")
def remove_source(claim_id: str, index: int) -> Response:
    """Stop citing a source."""
    return _write(
        claim_id,
        "sources",
        lambda: workspace().remove_source(claim_id, _version(), index, actor()),
        "Source removed.",
    )


@bp.post("/claims/<claim_id>/appearances")
@permission("reviewer")
def add_appearance(claim_id: str) -> Response:
    """Add a place where the claim appears (a selection, a suggestion or a typed quote)."""
    return _write(
        claim_id,
        "appearances",
        lambda: workspace().add_appearance(
            claim_id, _version(), _anchor_from_form().model_dump(), actor()
        ),
        "Appearance added.",
    )


@bp.post("/claims/<claim_id>/appearances/<int:index>/delete")
@permission("reviewer")
def remove_appearance(claim_id: str, index: int) -> Response:
    """Remove one appearance of a claim."""
    return _write(
        claim_id,
        "appearances",
        lambda: workspace().remove_appearance(claim_id, _version(), index, actor()),
        "Appearance removed.",
    )


@bp.post("/claims/<claim_id>/reattach")
@permission("reviewer")
def reattach(claim_id: str) -> Response:
    """Attach an appearance that lost its place to a new selection (or typed quote)."""
    field = request.form.get("field", "")
    return _write(
        claim_id,
        "appearances",
        lambda: workspace().reattach(claim_id, _version(), field, _anchor_from_form(), actor()),
        "Appearance attached again.",
    )


@bp.post("/claims/<claim_id>/delete")
@permission("adjudicator")
def delete(claim_id: str) -> Response:
    """Delete a claim (it is kept in the store's trash with its history)."""
    doc_id = request.form.get("doc_context") or None
    try:
        workspace().delete_claim(claim_id, _version(), actor())
    except (InvalidInput, StaleVersion) as exc:
        form = form_fields()
        return _failed(claim_id, doc_id, exc, form, "delete")
    except DiskProblem as exc:
        return _disk_failed(_failed(claim_id, doc_id, exc, form_fields(), "delete"), exc)
    target = url_for("pages.document", doc_id=doc_id) if doc_id else url_for("pages.claims")
    if fragment_wanted():
        html = render_template(
            "partials/_message.html",
            level="ok",
            message=f"Claim {claim_id} deleted (kept in the store's trash).",
        )
        return html_response(html, 200, trigger={"claims-changed": claim_id})
    return redirect(target, code=303)


@bp.app_context_processor
def globals_for_templates() -> dict[str, Any]:
    """What every template may use."""
    return {
        "version": __version__,
        "reviewer": actor(),
        "statuses": STATUSES,
        "team": team_mode(),
        "user": current_user(),
        "can_write": may("reviewer"),
        "can_delete": may("adjudicator"),
        "can_adjudicate": may("adjudicator"),
        "review_mode": review_mode(),
        "can_confirm": may("adjudicator") if review_mode() else may("reviewer"),
    }


def review_mode() -> bool:
    """Whether claims are reviewed by several reviewers (team mode, or a store that needs
    more than one review): the panel shows each reviewer's own review and the final verdict
    apart; otherwise a verdict is the final one, as for one reviewer."""
    return team_mode() or workspace().rules.required > 1
