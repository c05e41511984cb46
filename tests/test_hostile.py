"""Hostile input through HTTP: whatever is sent, the store's bytes stay as they were.

Also: a hand-broken claim file never stops the server; it is named on the pages, in the API
and by `annotate check`, and it is never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from .conftest import DOC_BBC, ROOT
from .webutil import csrf, page, snapshot

EXISTING = "iskander-fragments-found-in-shusha"
VERSION = str(json.loads((ROOT / "fixtures" / f"{EXISTING}.json").read_text())["version"])
"""The shipped claim's current version: a write naming it gets past the precondition."""
TWO_MB = 2 * 1024 * 1024


# -- size limit ----------------------------------------------------------------------------


def test_an_oversized_api_body_is_413_and_writes_nothing(client: Any, store: Path) -> None:
    before = snapshot(store)
    big = json.dumps({"statement": "x" * (TWO_MB + 10), "claimant": "c", "appearances": []})
    for method, path, headers in [
        ("POST", "/api/claims", {}),
        ("PATCH", f"/api/claims/{EXISTING}", {"If-Match": f'"{VERSION}"'}),
        ("PUT", f"/api/claims/{EXISTING}/verdict", {"If-Match": f'"{VERSION}"'}),
    ]:
        resp = client.open(
            path, method=method, data=big, content_type="application/json", headers=headers
        )
        assert resp.status_code == 413, (method, resp.status_code)
        body = resp.get_json()
        assert body["error"].endswith("the request is too large") and body["details"] == []
    assert snapshot(store) == before


def test_an_oversized_form_is_413_and_writes_nothing(client: Any, store: Path) -> None:
    before = snapshot(store)
    token = csrf(client)
    resp = client.post(
        f"/claims/{EXISTING}/edit",
        data={"csrf_token": token, "version": VERSION, "statement": "x" * (TWO_MB + 10)},
    )
    assert resp.status_code == 413
    assert "too large" in page(resp).one("main").text()
    assert snapshot(store) == before


# -- a battery of hostile requests ---------------------------------------------------------


def _hostile(client: Any, token: str) -> list[tuple[str, Any]]:
    good = {"statement": "s", "claimant": "c"}
    m2 = {"If-Match": f'"{VERSION}"'}
    return [
        ("cross-origin API write", client.patch(
            f"/api/claims/{EXISTING}", json=good, headers={**m2, "Origin": "https://evil.example"}
        )),
        ("form-encoded API write", client.patch(
            f"/api/claims/{EXISTING}", data=good, headers=m2
        )),
        ("text/plain API write", client.open(
            f"/api/claims/{EXISTING}", method="PATCH", data=json.dumps(good),
            content_type="text/plain", headers=m2,
        )),
        ("form without CSRF token", client.post(
            f"/claims/{EXISTING}/edit", data={"version": VERSION, **good}
        )),
        ("form with a forged CSRF token", client.post(
            f"/claims/{EXISTING}/edit", data={"csrf_token": "forged", "version": VERSION, **good}
        )),
        ("cross-origin form", client.post(
            f"/claims/{EXISTING}/edit", data={"csrf_token": token, "version": VERSION, **good},
            headers={"Origin": "https://evil.example"},
        )),
        ("rebinding Host", client.patch(
            f"/api/claims/{EXISTING}", json=good, headers={**m2, "Host": "attacker.example"}
        )),
        ("traversal id in the API", client.delete("/api/claims/..%2F..%2Fseeds", headers=m2)),
        ("dot id in the API", client.delete("/api/claims/.trash", headers=m2)),
        ("NUL id in the API", client.patch("/api/claims/a%00b", json=good, headers=m2)),
        ("traversal id in a form", client.post(
            "/claims/..%2Fx/delete", data={"csrf_token": token, "version": "1"}
        )),
        ("javascript: source", client.put(
            f"/api/claims/{EXISTING}/verdict", headers=m2, json={
                "verdict": "confirmed", "rationale": "r",
                "sources": [{"stance": "supports", "url": "javascript:alert(1)", "title": "t"}],
            },
        )),
        ("file: source", client.put(
            f"/api/claims/{EXISTING}/verdict", headers=m2, json={
                "verdict": "confirmed", "rationale": "r",
                "sources": [{"stance": "supports", "url": "file:///etc/passwd", "title": "t"}],
            },
        )),
        ("NUL in a form", client.post(
            f"/claims/{EXISTING}/edit",
            data={"csrf_token": token, "version": VERSION, "statement": "a\x00b", "claimant": "c"},
        )),
        ("escape sequence in a claimant", client.patch(
            f"/api/claims/{EXISTING}", json={"claimant": "\x1b[2J"}, headers=m2
        )),
        ("bidi and NUL in a rationale", client.post(
            f"/claims/{EXISTING}/verdict",
            data={"csrf_token": token, "version": VERSION, "verdict": "denied",
                  "rationale": "ok\x00\x07"},
        )),
        ("stale version", client.patch(
            f"/api/claims/{EXISTING}", json=good, headers={"If-Match": '"1"'}
        )),
        ("no If-Match", client.patch(f"/api/claims/{EXISTING}", json=good)),
        ("method override header", client.post(
            f"/api/claims/{EXISTING}", json=good, headers={"X-HTTP-Method-Override": "DELETE"}
        )),
    ]  # fmt: skip


def test_hostile_requests_never_change_the_store(client: Any, store: Path) -> None:
    token = csrf(client)
    before = snapshot(store)
    answers = _hostile(client, token)
    for name, resp in answers:
        assert 400 <= resp.status_code < 500, (name, resp.status_code)
    assert snapshot(store) == before
    codes = {name: resp.status_code for name, resp in answers}
    assert codes["cross-origin API write"] == 403
    assert codes["form-encoded API write"] == 415 == codes["text/plain API write"]
    assert codes["form without CSRF token"] == 403 == codes["cross-origin form"]
    assert codes["rebinding Host"] == 400
    assert codes["javascript: source"] == 422 == codes["NUL in a form"]
    assert codes["stale version"] == 412 and codes["no If-Match"] == 428


# -- pages: headers, no inline script ------------------------------------------------------


PAGES = ["/", "/claims", f"/documents/{DOC_BBC}?claim={EXISTING}", "/export", "/nowhere"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_the_security_headers_and_no_inline_script(client: Any, path: str) -> None:
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    root = page(resp)
    for script in root.find_all("script"):
        assert script.get("src"), "an inline script would be blocked by the CSP"
        assert not script.text().strip()
    for node in root.iter():
        assert not [a for a in node.attrs if a.startswith("on")], node
        assert "style" not in node.attrs, node


# -- broken claim files --------------------------------------------------------------------


@pytest.fixture
def broken(store: Path) -> dict[str, bytes]:
    """Two hand-broken claim files: one not JSON, one that breaks the rules."""
    (store / "broken-claim.json").write_text('{"id": "broken-claim", ', encoding="utf-8")
    bad = json.loads((store / f"{EXISTING}.json").read_text(encoding="utf-8"))
    bad.update(id="invalid-claim", verdict="confirmed", sources=[])
    (store / "invalid-claim.json").write_text(json.dumps(bad), encoding="utf-8")
    return {p.name: p.read_bytes() for p in store.glob("*-claim.json")}


@pytest.mark.parametrize("path", ["/", "/claims", f"/documents/{DOC_BBC}"])
def test_pages_name_broken_files_and_serve_the_rest(
    client: Any, broken: dict[str, bytes], path: str
) -> None:
    resp = client.get(path)
    assert resp.status_code == 200
    banner = page(resp).one(class_="message error broken-files")
    text = banner.text()
    assert "broken-claim.json" in text and "invalid-claim.json" in text
    assert "annotate check" in text
    if path == "/claims":
        assert page(resp).find("a", href=f"/documents/{DOC_BBC}?claim={EXISTING}#panel") or (
            EXISTING in resp.get_data(as_text=True)
        )


def test_a_healthy_store_shows_no_banner(client: Any) -> None:
    assert page(client.get("/")).find(class_="message error broken-files") is None


def test_a_broken_claim_is_409_naming_its_file_and_is_never_overwritten(
    client: Any, broken: dict[str, bytes], store: Path
) -> None:
    token = csrf(client)
    resp = client.get("/claims/broken-claim", headers={"HX-Request": "true"})
    assert resp.status_code == 409
    assert "broken-claim.json" in resp.get_data(as_text=True)
    resp = client.get("/api/claims/invalid-claim/history")
    assert resp.status_code == 409 and resp.get_json()["file"] == "invalid-claim.json"
    answers = [
        client.patch(
            "/api/claims/broken-claim", json={"claimant": "x"}, headers={"If-Match": '"1"'}
        ),
        client.delete("/api/claims/invalid-claim", headers={"If-Match": f'"{VERSION}"'}),
        client.post(
            "/claims/invalid-claim/edit",
            data={"csrf_token": token, "version": VERSION, "statement": "s", "claimant": "c"},
        ),
    ]
    assert [r.status_code for r in answers] == [409, 409, 409]
    assert {p.name: p.read_bytes() for p in store.glob("*-claim.json")} == broken
    assert not (store / ".trash").exists()


def test_check_names_the_broken_files(run: Callable[..., Result], broken: dict[str, bytes]) -> None:
    result = run("check")
    assert result.exit_code == 1
    assert "broken-claim.json" in result.output and "invalid-claim.json" in result.output
    found = json.loads(run("check", "--format", "json").output)
    assert {Path(p["file"]).name for p in found["problems"]} >= set(broken)
