"""Adding and editing documents in the web app: the Add-an-article page, the details form,
replace text (preview, then save), and the JSON routes; with and without htmx."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from annotate.record.service import Workspace

from .conftest import DOC_BBC, quote
from .test_ingest import ARTICLE_HTML, BOILERPLATE
from .webutil import csrf, make_app, page, snapshot

ADDED = "fragments-of-a-second-missile-shown-in-baku"
HTMX = {"HX-Request": "true", "HX-Boosted": "true"}


def post_add(client: Any, token: str, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    data = {"csrf_token": token, "text": "", "format": "auto", **fields}
    return client.post(
        "/documents", data=data, content_type="multipart/form-data", headers=headers or {}
    )


def messages(resp: Any) -> list[str]:
    root = page(resp)
    return [li.text() for box in root.find_all(class_="message error") for li in box.find_all("li")]


def test_the_add_page_has_a_real_form(client: Any) -> None:
    root = page(client.get("/documents/new"))
    form = root.one("form", data_form="add-document")
    assert form.get("method") == "post" and form.get("enctype") == "multipart/form-data"
    assert form.get("action") == "/documents"
    names = {i.get("name") for i in form.find_all("input")} | {
        t.get("name") for t in form.find_all("textarea")
    }
    for name in ("csrf_token", "file", "text", "title", "outlet", "author", "published", "url"):
        assert name in names
    for field in form.find_all("input") + form.find_all("textarea"):
        if field.get("type") not in ("hidden",):
            ident = field.get("id")
            assert ident and root.find("label", for_=ident), f"no label for {field}"
    # The documents list links to it.
    index = page(client.get("/"))
    assert index.one("a", data_action="add-document").get("href") == "/documents/new"


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_upload_html_adds_the_article_and_shows_the_report(
    client: Any, workdir: Path, headers: dict[str, str]
) -> None:
    token = csrf(client)
    resp = post_add(
        client,
        token,
        headers,
        file=(io.BytesIO(ARTICLE_HTML.read_bytes()), "saved page.html"),
        outlet="Ledger (saved)",
    )
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"/documents/{ADDED}"
    doc = page(client.get(resp.headers["Location"]))
    assert doc.one("h1").text() == "Fragments of a second missile shown in Baku"
    status = " ".join(p.text() for p in doc.find_all("p", class_="message ok"))
    assert f"as {ADDED}" in status and "trafilatura" in status
    text = doc.one(id="doc-text").text()
    assert "identification number 9M723" in text
    for junk in BOILERPLATE:
        assert junk not in text
    meta = json.loads((workdir / "seeds" / f"{ADDED}.json").read_text(encoding="utf-8"))
    assert meta["outlet"] == "Ledger (saved)" and meta["author"] == "Leyla Mammadova"


def test_pasted_text_is_added(client: Any, workdir: Path) -> None:
    token = csrf(client)
    pasted = "Pashinyan: the Iskander did not explode.\r\nOr only 10 percent did.\r\n"
    resp = post_add(client, token, text=pasted, published="2021-02-23", language="hy")
    assert resp.status_code == 303
    doc_id = resp.headers["Location"].rsplit("/", 1)[1]
    assert doc_id == "pashinyan-the-iskander-did-not-explode"
    stored = (workdir / "seeds" / f"{doc_id}.txt").read_bytes()
    assert stored == b"Pashinyan: the Iskander did not explode.\nOr only 10 percent did.\n"
    meta = json.loads((workdir / "seeds" / f"{doc_id}.json").read_text())
    assert meta["published"] == "2021-02-23" and meta["language"] == "hy"


def test_the_report_of_an_added_article_tells_the_web_way_to_change_its_details(
    client: Any, workdir: Path
) -> None:
    """The page said "change it with --title": a command-line option, on a web page."""
    token = csrf(client)
    resp = post_add(client, token, text="Ceasefire holds in Shusha.\n\nSecond paragraph.\n")
    assert resp.status_code == 303
    shown = page(client.get(resp.headers["Location"])).one(class_="message ok").text()
    assert "--title" not in shown and "--language" not in shown
    assert "change it with “Edit details or text” on this page" in shown
    assert "set it with “Edit details or text” on this page" in shown


def test_the_api_s_report_tells_the_api_way_to_change_details(client: Any) -> None:
    resp = client.post("/api/documents", json={"text": "Ceasefire holds in Shusha.\n"})
    assert resp.status_code == 201
    report = " ".join(resp.get_json()["report"])
    assert "--title" not in report and "PATCH /api/documents/<id> (title)" in report


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_shipped_article_added_again_is_refused_naming_the_document(
    client: Any, workdir: Path, headers: dict[str, str]
) -> None:
    """The shipped texts have no final newline, adding gives one: it looked like a new text."""
    shipped = (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes()
    assert not shipped.endswith(b"\n")
    title = json.loads((workdir / "seeds" / f"{DOC_BBC}.json").read_text(encoding="utf-8"))["title"]
    token = csrf(client)
    before = snapshot(workdir / "seeds")
    resp = post_add(client, token, headers, file=(io.BytesIO(shipped), "bbc.txt"))
    assert resp.status_code == 409
    (found,) = messages(resp)
    assert f"the same text is in the corpus already as '{DOC_BBC}' (“{title}”)" in found
    assert snapshot(workdir / "seeds") == before


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_errors_are_shown_in_the_form_with_typed_values_kept(
    client: Any, workdir: Path, headers: dict[str, str]
) -> None:
    token = csrf(client)
    before = snapshot(workdir / "seeds")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"title": "Kept title"}, 422, "nothing to add: no file and no text"),
        ({"text": "Text", "published": "2021-02-30", "title": "Kept title"}, 422, "published"),
        ({"text": "Text", "url": "javascript:alert(1)", "title": "Kept title"}, 422, "url"),
        ({"text": "Text", "id": "../etc", "title": "Kept title"}, 422, "id"),
        ({"text": "Text", "id": DOC_BBC, "title": "Kept title"}, 409, "is taken"),
        (
            {"file": (io.BytesIO(b"\x00\x01\x02binary"), "x.txt"), "title": "Kept title"},
            422,
            "x.txt: it contains NUL bytes",
        ),
        ({"file": (io.BytesIO(b""), "empty.txt"), "title": "Kept title"}, 422, "empty.txt"),
        (
            {"file": (io.BytesIO(b"A\n"), "a.txt"), "text": "B", "title": "Kept title"},
            422,
            "not both",
        ),
    ]
    for fields, status, needle in cases:
        resp = post_add(client, token, headers, **fields)
        assert resp.status_code == status, (fields, resp.status_code)
        found = messages(resp)
        assert any(needle in m for m in found), (needle, found)
        root = page(resp)
        assert root.one("input", name="title").get("value") == "Kept title"
        if "text" in fields and isinstance(fields["text"], str):
            assert root.one("textarea", name="text").text().strip() == fields["text"]
        assert "Nothing was added." in root.one(id="add-errors").text()
    assert snapshot(workdir / "seeds") == before


def test_writes_without_csrf_or_from_another_origin_are_refused(client: Any, workdir: Path) -> None:
    before = snapshot(workdir / "seeds")
    token = csrf(client)
    assert client.post("/documents", data={"text": "Hello"}).status_code == 403
    resp = client.post(
        "/documents",
        data={"csrf_token": token, "text": "Hello"},
        headers={"Origin": "https://evil.example"},
    )
    assert resp.status_code == 403
    for path in (f"/documents/{DOC_BBC}/meta", f"/documents/{DOC_BBC}/replace"):
        assert client.post(path, data={"title": "X", "text": "Y"}).status_code == 403
    assert snapshot(workdir / "seeds") == before


# -- details -------------------------------------------------------------------------------


def test_details_form_saves_metadata_and_keeps_the_text(client: Any, workdir: Path) -> None:
    text_before = (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes()
    doc_page = page(client.get(f"/documents/{DOC_BBC}"))
    link = doc_page.one("a", data_action="edit-document").get("href")
    root = page(client.get(str(link)))
    form = root.one("form", data_form="doc-meta")
    version = form.one("input", name="meta_version").get("value")
    fields = {i.get("name"): i.get("value") or "" for i in form.find_all("input") if i.get("name")}
    fields["notes"] = form.one("textarea", name="notes").text()
    fields.update(outlet="BBC News Україна", url="https://www.bbc.com/ukrainian/")
    resp = client.post(f"/documents/{DOC_BBC}/meta", data=fields)
    assert resp.status_code == 303
    meta = json.loads((workdir / "seeds" / f"{DOC_BBC}.json").read_text(encoding="utf-8"))
    assert meta["outlet"] == "BBC News Україна" and meta["url"] == "https://www.bbc.com/ukrainian/"
    assert meta["notes"].startswith("An English summary")
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes() == text_before
    shown = page(client.get(f"/documents/{DOC_BBC}"))
    assert "Details saved." in shown.one("p", class_="message ok").text()

    # The form read before that save is now stale: refused, what was typed is kept.
    fields.update(meta_version=str(version), outlet="Someone else")
    stale = client.post(f"/documents/{DOC_BBC}/meta", data=fields)
    assert stale.status_code == 409
    assert page(stale).one("input", name="outlet").get("value") == "Someone else"
    assert json.loads((workdir / "seeds" / f"{DOC_BBC}.json").read_text())["outlet"] == (
        "BBC News Україна"
    )


def test_details_form_errors_keep_what_was_typed(client: Any, workdir: Path) -> None:
    token = csrf(client)
    before = snapshot(workdir / "seeds")
    resp = client.post(
        f"/documents/{DOC_BBC}/meta",
        data={"csrf_token": token, "title": "New title", "published": "not a date"},
    )
    assert resp.status_code == 422
    root = page(resp)
    assert any("published" in li.text() for li in root.one(id="meta-errors").find_all("li"))
    assert root.one("input", name="title").get("value") == "New title"
    assert snapshot(workdir / "seeds") == before


# -- replace text --------------------------------------------------------------------------


@pytest.fixture
def lost_claim(workdir: Path) -> str:
    ws = Workspace.open(workdir / "seeds", workdir / "fixtures", fsync=False)
    claim = ws.create_claim(
        {
            "id": "two-missiles",
            "statement": "Two missiles were fired on Shusha.",
            "claimant": "ANAMA",
            "appearances": [quote(ws, DOC_BBC, "Two missiles fired on Shusha")],
        },
        "tester",
    )
    return claim.id


def test_replace_text_previews_then_saves_and_reanchors(
    client: Any, workdir: Path, lost_claim: str
) -> None:
    token = csrf(client)
    path = workdir / "seeds" / f"{DOC_BBC}.txt"
    old = path.read_text(encoding="utf-8")
    new = "Correction appended at the top.\n\n" + old.replace("Two missiles fired on Shusha", "")
    store_before = snapshot(workdir / "fixtures")

    edit = page(client.get(f"/documents/{DOC_BBC}/edit"))
    assert edit.one("textarea", name="text").text().lstrip("\n") == old

    preview = client.post(
        f"/documents/{DOC_BBC}/replace",
        data={"csrf_token": token, "action": "preview", "text": new, "format": "text"},
    )
    assert preview.status_code == 200
    root = page(preview)
    orphaned = root.one("ul", data_outcome="orphaned")
    assert [li.get("data-claim") for li in orphaned.find_all("li")] == [lost_claim]
    moved = root.one("ul", data_outcome="moved").find_all("li")
    assert len(moved) > 10
    # Nothing is saved by a preview.
    assert path.read_text(encoding="utf-8") == old
    assert snapshot(workdir / "fixtures") == store_before

    save = root.one("form", data_form="doc-replace-save")
    fields = {i.get("name"): i.get("value") for i in save.find_all("input")}
    fields["text"] = save.one("textarea", name="text").text()[1:]  # the parser keeps the \n
    assert fields["base"] == hashlib.sha256(old.encode()).hexdigest()
    done = client.post(f"/documents/{DOC_BBC}/replace", data=fields)
    assert done.status_code == 303
    assert path.read_text(encoding="utf-8") == new
    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    lost = ws.claim(lost_claim)
    assert lost.appearances[0].orphaned and lost.history[-1].action == "reanchored"
    assert lost.history[-1].by == "tester"
    shown = page(client.get(f"/documents/{DOC_BBC}"))
    assert "1 appearance(s) orphaned" in shown.one("p", class_="message warn").text()
    assert shown.find("section", class_="orphans message warn") is not None

    # Saving the same preview again: the text changed since, refused, nothing written.
    again = client.post(f"/documents/{DOC_BBC}/replace", data=fields)
    assert again.status_code == 409
    assert any("changed since the preview" in li.text() for li in page(again).find_all("li"))


def test_the_replace_preview_lists_a_quote_edited_in_place_as_edited_not_moved(
    client: Any, workdir: Path
) -> None:
    doc = "000_6c6c33166c2267e4"
    old = (workdir / "seeds" / f"{doc}.txt").read_text(encoding="utf-8")
    new = old.replace("announced in February that", "announced in Februery that")
    preview = client.post(
        f"/documents/{doc}/replace",
        data={"csrf_token": csrf(client), "action": "preview", "text": new, "format": "text"},
    )
    assert preview.status_code == 200
    root = page(preview)
    assert root.find("ul", data_outcome="moved") is None
    edited = root.one("ul", data_outcome="edited").find_all("li")
    assert len(edited) == 5
    assert "ru-mod-no-iskander-used" in [li.get("data-claim") for li in edited]
    said = edited[0].text()
    assert "the quoted text changed in place at 2930–3043" in said
    assert "“…y announced in Februery that no Iskander …”" in said and "score 0.99" in said
    assert any("Edited in place (5)" in h.text() for h in root.find_all("h3"))


def test_replace_text_with_the_same_text_or_nothing_is_refused(client: Any, workdir: Path) -> None:
    token = csrf(client)
    old = (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8")
    for text, needle in ((old, "nothing to replace"), ("", "no file and no text")):
        resp = client.post(
            f"/documents/{DOC_BBC}/replace",
            data={"csrf_token": token, "action": "preview", "text": text, "format": "text"},
        )
        assert resp.status_code == 422
        assert any(needle in li.text() for li in page(resp).one(id="replace-errors").find_all("li"))


def test_replace_text_by_upload_of_html(client: Any, workdir: Path) -> None:
    token = csrf(client)
    resp = client.post(
        f"/documents/{DOC_BBC}/replace",
        data={
            "csrf_token": token,
            "action": "preview",
            "text": "",
            "format": "auto",
            "file": (io.BytesIO(ARTICLE_HTML.read_bytes()), "new.html"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200
    root = page(resp)
    text = root.one("form", data_form="doc-replace-save").one("textarea").text()
    assert "identification number 9M723" in text and "Most read" not in text
    assert root.find("ul", data_outcome="orphaned") is not None  # the old quotes are gone


# -- JSON API ------------------------------------------------------------------------------


def test_api_adds_a_document_and_changes_its_metadata(client: Any, workdir: Path) -> None:
    resp = client.post(
        "/api/documents",
        json={"text": ARTICLE_HTML.read_text(encoding="utf-8"), "outlet": "Ledger"},
    )
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["id"] == ADDED and body["outlet"] == "Ledger" and body["length"] > 500
    assert any("trafilatura" in n for n in body["report"])
    assert resp.headers["Location"] == f"/api/documents/{ADDED}"
    listed = client.get(f"/api/documents/{ADDED}").get_json()
    assert listed["sha256"] == body["sha256"] and "9M723" in listed["text"]

    assert client.patch(f"/api/documents/{ADDED}", json={"author": "L. M."}).status_code == 428
    ok = client.patch(
        f"/api/documents/{ADDED}",
        json={"author": "L. M.", "notes": "Saved on 2 April."},
        headers={"If-Match": f'"{body["meta_version"]}"'},
    )
    assert ok.status_code == 200
    assert ok.get_json()["author"] == "L. M." and ok.get_json()["sha256"] == body["sha256"]
    stale = client.patch(
        f"/api/documents/{ADDED}",
        json={"author": "Someone"},
        headers={"If-Match": body["meta_version"]},
    )
    assert stale.status_code == 409 and stale.get_json()["details"][0]["field"] == "meta_version"
    text = client.patch(
        f"/api/documents/{ADDED}",
        json={"text": "new"},
        headers={"If-Match": ok.get_json()["meta_version"]},
    )
    assert text.status_code == 422 and text.get_json()["details"][0]["field"] == "text"


def test_api_refuses_bad_documents_naming_the_field(client: Any, workdir: Path) -> None:
    before = snapshot(workdir / "seeds")
    cases: list[tuple[Any, int, str]] = [
        ({"title": "No text"}, 422, "text"),
        ({"text": ""}, 422, "file"),
        ({"text": "ok", "published": "2021-13-01"}, 422, "published"),
        ({"text": "ok", "id": "a/b"}, 422, "id"),
        ({"text": "ok", "id": DOC_BBC}, 409, "id"),
        ({"text": "ok", "colour": "red"}, 422, "colour"),
        ({"text": "ok", "title": 3}, 422, "title"),
        ({"text": "bad\u0000"}, 422, "file"),
        ([1, 2], 422, "(body)"),
    ]
    for data, status, field in cases:
        resp = client.post("/api/documents", json=data)
        assert resp.status_code == status, (data, resp.get_json())
        assert resp.get_json()["details"][0]["field"] == field, (data, resp.get_json())
    resp = client.post("/api/documents", data="text=hello")
    assert resp.status_code == 415
    assert snapshot(workdir / "seeds") == before


def test_an_upload_over_the_request_limit_is_explained_in_the_form(workdir: Path) -> None:
    # Small enough that the test client keeps the body in memory (above 500 KB it spools it
    # to a temporary file that it never closes when the app refuses it).
    app = make_app(workdir, MAX_CONTENT_LENGTH=100 * 1024)
    client = app.test_client()
    token = csrf(client)
    before = snapshot(workdir / "seeds")
    big = io.BytesIO(b"word " * 30_000)
    resp = post_add(client, token, file=(big, "big.txt"))
    assert resp.status_code == 413
    errors = page(resp).one(id="add-errors").text()
    assert "larger than the 100 KB a browser form may send" in errors
    assert "annotate add FILE" in errors
    resp = client.post(
        f"/documents/{DOC_BBC}/replace",
        data={"csrf_token": token, "action": "preview", "text": "x" * 110_000},
    )
    assert resp.status_code == 413
    assert "larger than the 100 KB" in page(resp).one(id="replace-errors").text()
    assert snapshot(workdir / "seeds") == before
