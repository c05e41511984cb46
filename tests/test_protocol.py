"""The read-only W3C Web Annotation Protocol container at /annotations/: the container and
its pages, every annotation at its id, the protocol's media type, Link, ETag and Prefer, the
MUST assertions of the W3C test suite (from outside the repository: skipped without it),
and blind review: the container shows a reviewer what the API shows them, no more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from annotate.formats.w3c import W3C_MEDIA_TYPE
from annotate.web.protocol import PAGE_SIZE

from . import test_export, test_reviews
from .test_export import MustSuite
from .test_reviews import REFUTE, new_claim, review
from .webutil import make_app

# Fixtures of other test files: the W3C MUST suite; team mode with two reviewers and an
# adjudicator.
musts = test_export.musts
reviewers_template = test_reviews.reviewers_template
desk, alice, bob, adam = test_reviews.desk, test_reviews.alice, test_reviews.bob, test_reviews.adam

LDP = "http://www.w3.org/ns/ldp#"
MINIMAL = f'return=representation;include="{LDP}PreferMinimalContainer"'
IRIS = 'return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"'


def path_of(iri: str) -> str:
    """The path (and query) of an IRI under the app's base URL, to ask the test client."""
    parts = urlsplit(iri)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def pages(client: Any, first: str) -> list[dict[str, Any]]:
    """Every page of the container, following `next` from `first`."""
    out = []
    url: str | None = first
    while url is not None:
        resp = client.get(path_of(url))
        assert resp.status_code == 200, url
        assert resp.content_type == W3C_MEDIA_TYPE
        out.append(resp.get_json())
        url = out[-1].get("next")
        assert len(out) < 100
    return out


def test_the_container_is_an_ldp_basic_container_of_the_w3c_export(client: Any) -> None:
    resp = client.get("/annotations/")
    assert resp.status_code == 200
    assert resp.content_type == W3C_MEDIA_TYPE
    assert f'<{LDP}BasicContainer>; rel="type"' in resp.headers["Link"]
    assert "annotation-protocol" in resp.headers["Link"]
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert "Prefer" in resp.headers["Vary"]
    assert resp.headers["ETag"].startswith('"')
    container = resp.get_json()
    assert container["type"] == ["BasicContainer", "AnnotationCollection"]
    assert container["id"].endswith("/annotations/")
    export = json.loads(client.get("/api/export?format=w3c").get_data(as_text=True))
    exported = export["first"]["items"]
    assert container["total"] == len(exported) > PAGE_SIZE  # more than one page
    first = container["first"]
    assert first["startIndex"] == 0 and len(first["items"]) == PAGE_SIZE
    assert container["last"].endswith(f"page={(len(exported) - 1) // PAGE_SIZE}")

    seen = []
    for number, page in enumerate(pages(client, first["next"]), start=1):
        assert page["type"] == "AnnotationPage"
        assert page["startIndex"] == number * PAGE_SIZE
        assert page["partOf"]["total"] == container["total"]
        assert page["prev"].endswith(f"page={number - 1}")
        seen += page["items"]
    items = first["items"] + seen
    assert page["id"] == container["last"] and "next" not in page
    # The same annotations as the export, in its order, each one dereferenceable at its id.
    assert items == exported
    for item in items[:: max(1, len(items) // 25)] + items[-3:]:
        one = client.get(path_of(item["id"]))
        assert one.status_code == 200, item["id"]
        assert one.content_type == W3C_MEDIA_TYPE
        assert one.get_json() == item
        assert f'<{LDP}Resource>; rel="type"' in one.headers["Link"]


def test_the_container_its_pages_and_annotations_meet_every_must(
    client: Any, musts: MustSuite
) -> None:
    container = client.get("/annotations/").get_json()
    assert musts.failures("collection", container) == []
    minimal = client.get("/annotations/", headers={"Prefer": MINIMAL}).get_json()
    assert musts.failures("collection", minimal) == []
    for page in pages(client, container["first"]["id"]):
        assert musts.failures("page", page) == [], page["id"]
        # (Every annotation is checked so in test_export: these are the same, a sample.)
        for item in page["items"][::10]:
            assert musts.failures("annotation", item) == [], item["id"]


def test_conditional_get_answers_304_until_the_annotation_changes(client: Any) -> None:
    url = "/annotations/ru-mod-no-iskander-used"
    first = client.get(url)
    etag = first.headers["ETag"]
    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.headers["ETag"] == etag
    assert not unchanged.get_data()
    container = client.get("/annotations/")
    assert (
        client.get(
            "/annotations/", headers={"If-None-Match": container.headers["ETag"]}
        ).status_code
        == 304
    )

    claim = client.get("/api/claims/ru-mod-no-iskander-used")
    resp = client.patch(
        "/api/claims/ru-mod-no-iskander-used",
        json={"claimant": "Russian Ministry of Defence (press service)"},
        headers={"If-Match": claim.headers["ETag"]},
    )
    assert resp.status_code == 200
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.get_json()["claimant"]["name"].endswith("(press service)")
    assert (
        client.get(
            "/annotations/", headers={"If-None-Match": container.headers["ETag"]}
        ).status_code
        == 200
    )


def test_prefer_a_minimal_container_or_contained_iris(client: Any) -> None:
    minimal = client.get("/annotations/", headers={"Prefer": MINIMAL})
    assert minimal.headers["Preference-Applied"] == "return=representation"
    body = minimal.get_json()
    assert isinstance(body["first"], str) and isinstance(body["last"], str)
    iris = client.get("/annotations/", headers={"Prefer": IRIS}).get_json()
    assert all(isinstance(i, str) for i in iris["first"]["items"])
    assert iris["first"]["id"].endswith("iris=1&page=0")
    page = client.get(path_of(iris["first"]["next"])).get_json()
    assert all(isinstance(i, str) for i in page["items"])
    full = client.get("/annotations/").get_json()
    assert iris["first"]["items"] == [a["id"] for a in full["first"]["items"]]


def test_a_page_or_annotation_that_is_not_there_is_404(client: Any) -> None:
    for url in ("/annotations/?page=99", "/annotations/?page=-1", "/annotations/?page=x"):
        resp = client.get(url)
        assert resp.status_code == 404, url
        assert resp.get_json()["details"][0]["field"] == "page"
    assert client.get("/annotations/?iris=2").status_code == 422
    assert client.get("/annotations/no-such-claim").status_code == 404
    assert client.get("/annotations/ru-mod-no-iskander-used/reviews/nobody").status_code == 404
    assert client.post("/annotations/", json={}).status_code == 405


def test_an_empty_container_has_no_pages(workdir: Path, empty_store: Path) -> None:
    client = make_app(empty_store).test_client()
    container = client.get("/annotations/").get_json()
    assert container["total"] == 0 and "first" not in container
    assert client.get("/annotations/?page=0").status_code == 404


def test_blind_review_hides_in_the_container_what_the_api_hides(
    workdir: Path, alice: Any, bob: Any, adam: Any, desk: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    assert review(alice, cid, 1, "denied", [REFUTE], "Nobody else saw it.").status_code == 200
    review_url = f"/annotations/{cid}/reviews/alice"

    # bob has not reviewed it: no review annotation, no verdict, anywhere he can look.
    assert bob.get(review_url).status_code == 404
    mine = bob.get(f"/annotations/{cid}").get_json()
    assert "Nobody else saw it" not in json.dumps(mine)
    assert all(b.get("purpose") != "classifying" for b in mine["body"])
    listed = []
    for page in pages(bob, "/annotations/?page=0"):
        listed += page["items"]
    assert "Nobody else saw it" not in json.dumps(listed)
    assert not any(i["id"].endswith(review_url) for i in listed)
    # The adjudicator, and alice herself, see the review.
    assert adam.get(review_url).status_code == 200
    assert alice.get(review_url).get_json()["body"][1]["value"] == "Nobody else saw it."
    # The same login as the API: nobody anonymous, and a 401 rather than the login page.
    anonymous = desk.test_client().get("/annotations/")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]


@pytest.mark.parametrize("url", ["/annotations/", "/annotations/ru-mod-no-iskander-used"])
def test_head_gives_the_headers_of_get(client: Any, url: str) -> None:
    head = client.head(url)
    get = client.get(url)
    assert head.status_code == 200 and not head.get_data()
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.content_type == W3C_MEDIA_TYPE
