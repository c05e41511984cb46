"""`annotate export`: every format pinned byte for byte, ClaimReview and W3C checked against
their standards (whose test data comes from outside the repository: see `shared_data`)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from jsonschema import Draft4Validator
from pyld import jsonld
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from annotate.formats.export import FORMATS, ExportSettings, claimant_type, export
from annotate.record.models import Claim
from annotate.record.service import Workspace

from .conftest import DOC_BBC, SHARED, shared_data

EXTENSIONS = {"json": ".json", "csv": ".csv", "claimreview": ".jsonld", "w3c": ".jsonld"}
PUBLIC = "https://factcheck.example.org"
"""A desk's public URL: a claimreview export refuses to publish a loopback one."""


def published(fmt: str) -> tuple[str, ...]:
    """The options an export of `fmt` needs: claimreview a public base URL."""
    return ("--base-url", PUBLIC) if fmt == "claimreview" else ()


def exported(run: Callable[..., Result], tmp_path: Path, fmt: str, *options: str) -> str:
    """Run `annotate export` into a file and give the file's text exactly as written."""
    out = tmp_path / f"export.{fmt}"
    result = run("export", "--format", fmt, "-o", str(out), *options)
    assert result.exit_code == 0, result.output
    return out.read_bytes().decode("utf-8")


# -- every format, pinned -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_of_the_shipped_store_is_pinned(
    run: Callable[..., Result], tmp_path: Path, fmt: str, file_regression: Any
) -> None:
    file_regression.check(
        exported(run, tmp_path, fmt, *published(fmt)),
        extension=EXTENSIONS[fmt],
        newline="",
        binary=False,
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_of_a_sample_store_is_pinned(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, fmt: str, file_regression: Any
) -> None:
    file_regression.check(
        exported(run, tmp_path, fmt, *published(fmt)),
        extension=EXTENSIONS[fmt],
        newline="",
        binary=False,
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_is_the_same_bytes_every_time(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, fmt: str
) -> None:
    first = exported(run, tmp_path, fmt, *published(fmt))
    assert exported(run, tmp_path, fmt, *published(fmt)) == first
    assert run("export", "--format", fmt, *published(fmt)).stdout_bytes.decode("utf-8") == first


def test_export_writes_to_stdout_and_refuses_an_unknown_format(run: Callable[..., Result]) -> None:
    assert run("export", "--format", "json").output.startswith('{\n  "claims": [')
    bad = run("export", "--format", "yaml")
    assert bad.exit_code == 2 and "yaml" in bad.output


def test_every_format_has_a_media_type_the_web_app_can_serve() -> None:
    assert FORMATS["claimreview"].media_type == "application/ld+json"
    assert FORMATS["w3c"].media_type == (
        'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    assert FORMATS["json"].media_type == "application/json"
    assert FORMATS["csv"].media_type.startswith("text/csv")


def test_export_rejects_a_base_url_that_is_not_http(run: Callable[..., Result]) -> None:
    result = run("export", "--format", "claimreview", "--base-url", "ftp://example.org")
    assert result.exit_code == 2
    assert "base URL must be an http:// or https:// URL" in result.output


# -- JSON -----------------------------------------------------------------------------------


def test_json_export_lists_claims_and_documents_sorted_by_id(run: Callable[..., Result]) -> None:
    data = json.loads(run("export", "--format", "json").output)
    ids = [c["id"] for c in data["claims"]]
    assert ids == sorted(ids) and len(ids) >= 25
    assert [d["id"] for d in data["documents"]] == sorted(d["id"] for d in data["documents"])
    assert {"id", "sha256", "length", "title"} <= set(data["documents"][0])
    assert "history" not in data["claims"][0]


# -- ClaimReview ----------------------------------------------------------------------------


def claim_reviews(run: Callable[..., Result], *options: str) -> list[dict[str, Any]]:
    if "--base-url" not in options and not os.environ.get("ANNOTATE_BASE_URL"):
        options = (*published("claimreview"), *options)
    result = run("export", "--format", "claimreview", *options)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, list)
    return data


def test_claimreview_has_one_review_per_reviewed_claim_sorted_by_id(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    reviews = claim_reviews(run)
    reviewed = [c for c in sample_ws.claims() if c.verdict]
    assert len(reviewed) < len(sample_ws.claims())
    assert [r["url"].rsplit("/", 1)[1] for r in reviews] == [c.id for c in reviewed]


def test_claimreview_has_every_field_google_requires(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    for review in claim_reviews(run):
        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["claimReviewed"]
        assert review["url"].startswith(f"{PUBLIC}/claims/")
        assert review["@id"] == review["url"] + "#claimreview"
        assert review["author"]["@type"] == "Organization"
        assert review["author"]["name"] and review["author"]["url"]
        assert review["datePublished"] == "2021-05-03"
        rating = review["reviewRating"]
        assert rating["@type"] == "Rating"
        assert rating["alternateName"] in {"Confirmed", "Denied", "Disputed"}
        assert rating["name"] == rating["alternateName"]
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        assert item["author"]["@type"] in {"Person", "Organization"}
        assert item["author"]["name"]
        works = [
            *([item["firstAppearance"]] if "firstAppearance" in item else []),
            *item.get("appearance", []),
        ]
        assert works, "every reviewed claim appears somewhere"
        assert len({w["url"] for w in works}) == len(works), "no appearance twice"
        for work in works:
            assert work["@type"] == "CreativeWork"
            assert work["url"] and work["headline"]


def test_claimreview_rates_verdicts_on_a_one_to_three_scale(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    ratings = {
        r["reviewRating"]["alternateName"]: (
            r["reviewRating"]["ratingValue"],
            r["reviewRating"]["worstRating"],
            r["reviewRating"]["bestRating"],
        )
        for r in claim_reviews(run)
    }
    assert ratings == {"Denied": (1, 1, 3), "Disputed": (2, 1, 3), "Confirmed": (3, 1, 3)}


def test_claimreview_names_the_claimant_and_where_the_claim_appeared(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    review = next(r for r in claim_reviews(run) if r["url"].endswith("/no-iskanders-used"))
    item = review["itemReviewed"]
    assert item["author"] == {"@type": "Organization", "name": "Russian Ministry of Defence"}
    assert item["datePublished"] == "2021-02-26"
    assert item["firstAppearance"]["datePublished"] == "2021-04-04"
    assert [w["datePublished"] for w in item["appearance"]] == ["2021-04-12"]
    assert item["firstAppearance"]["url"] == f"{PUBLIC}/documents/{DOC_BBC}"
    assert review["reviewBody"].startswith("Moscow denies it")


def test_claimreview_appearance_uses_the_documents_own_url_and_outlet(
    sample_ws: Workspace, run: Callable[..., Result], workdir: Path
) -> None:
    meta_path = workdir / "seeds" / "002_212af70a4bdf495d.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["url"] = "https://www.azernews.az/nation/176453.html"
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    review = next(r for r in claim_reviews(run) if r["url"].endswith("/sargsyan-iskander-used"))
    assert "appearance" not in review["itemReviewed"], "its one appearance is the first"
    work = review["itemReviewed"]["firstAppearance"]
    assert work["url"] == "https://www.azernews.az/nation/176453.html"
    assert work["publisher"] == {"@type": "Organization", "name": "AzerNews"}
    assert work["author"] == {"@type": "Person", "name": "Vafa Ismayilova"}
    assert review["itemReviewed"]["author"] == {"@type": "Person", "name": "Serzh Sargsyan"}


def test_base_url_and_organisation_come_from_options(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    (review, *_) = claim_reviews(
        run,
        "--base-url",
        "https://factcheck.example.org/",
        "--org-name",
        "Example Desk",
        "--org-url",
        "https://example.org",
    )
    assert review["url"].startswith("https://factcheck.example.org/claims/")
    assert review["author"] == {
        "@type": "Organization",
        "name": "Example Desk",
        "url": "https://example.org",
    }
    first = review["itemReviewed"]["firstAppearance"]["url"]
    assert first.startswith("https://factcheck.example.org/documents/")


def test_base_url_and_organisation_come_from_the_environment(
    sample_ws: Workspace, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANNOTATE_BASE_URL", "https://desk.example.net")
    monkeypatch.setenv("ANNOTATE_ORG_NAME", "Env Desk")
    (review, *_) = claim_reviews(run)
    assert review["url"].startswith("https://desk.example.net/claims/")
    assert review["author"] == {
        "@type": "Organization",
        "name": "Env Desk",
        "url": "https://desk.example.net",
    }
    assert ExportSettings.from_env().org_name == "Env Desk"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Russian Ministry of Defence", "Organization"),
        ("Kremlin", "Organization"),
        ("ANAMA", "Organization"),
        ("BBC News Україна", "Organization"),
        ("Armenian Armed Forces", "Organization"),
        ("AzerNews", "Organization"),
        ("Caucasian Knot (citing caliber.az)", "Organization"),
        ("Local journalists (cited by BBC News)", "Organization"),
        ("Serzh Sargsyan", "Person"),
        ("Ilham Aliyev", "Person"),
        ("Dmitry Peskov (Kremlin spokesman)", "Person"),
        ("Idris Ismayilov (ANAMA)", "Person"),
        ("Azerbaijani military analyst (unnamed)", "Person"),
    ],
)
def test_claimant_type_is_guessed_from_the_name_when_not_recorded(name: str, kind: str) -> None:
    claim = Claim.model_validate(
        {
            "id": "c1",
            "version": 1,
            "statement": "s",
            "claimant": name,
            "appearances": [{"doc": "d", "start": 0, "end": 1, "exact": "x"}],
            "created_at": "2021-01-01T00:00:00Z",
            "created_by": "t",
            "updated_at": "2021-01-01T00:00:00Z",
        }
    )
    assert claimant_type(claim, {"Caucasian Knot", "AzerNews"}) == kind
    recorded = claim.model_copy(update={"claimant_type": "Person"})
    assert claimant_type(recorded) == "Person"


@pytest.fixture(scope="module")
def schemaorg_context() -> Path:
    """schema.org's JSON-LD context, as schema.org publishes it."""
    return shared_data(
        "ANNOTATE_SCHEMAORG_CONTEXT",
        SHARED / "schemaorg" / "schemaorgcontext.jsonld",
        "schema.org's JSON-LD context",
        "schemaorgcontext.jsonld (from a release of schema.org, data/releases/<version>/)",
    )


def _schemaorg_loader(context: Path) -> Callable[..., dict[str, Any]]:
    document = json.loads(context.read_text(encoding="utf-8"))

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
            return {"contextUrl": None, "documentUrl": url, "document": document}
        raise AssertionError(f"JSON-LD processing tried to fetch {url}: no network in tests")

    return load


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _arrays(node: Any) -> Any:
    """Every property value as a list, so that compaction's one-item arrays compare equal;
    the schema.org context's `type` alias spelt as the keyword."""
    if isinstance(node, list):
        return [_arrays(item) for item in node]
    if isinstance(node, dict):
        return {
            ("@type" if k == "type" else k): [
                _arrays(i) for i in (v if isinstance(v, list) else [v])
            ]
            for k, v in node.items()
        }
    return node


def test_claimreview_is_json_ld_made_of_schema_org_terms_only(
    sample_ws: Workspace, run: Callable[..., Result], schemaorg_context: Path
) -> None:
    terms = json.loads(schemaorg_context.read_text(encoding="utf-8"))["@context"]
    reviews = claim_reviews(run)
    assert reviews
    for key, value in _walk(reviews):
        if key == "@type":
            assert value in terms, f"@type {value} is not a schema.org type"
        elif not key.startswith("@"):
            # The context has an @vocab: a misspelt key would still expand, so look it up.
            assert key in terms, f"{key} is not a schema.org term"

    options = {"documentLoader": _schemaorg_loader(schemaorg_context)}
    expanded = jsonld.expand(reviews, options)
    assert len(expanded) == len(reviews)
    for key, _ in _walk(expanded):
        if not key.startswith("@"):
            assert key.startswith(("https://schema.org/", "http://schema.org/")), key
    # Nothing dropped: compacting the expansion again gives back every key and value.
    compacted = jsonld.compact(expanded, "https://schema.org", options)
    graph = compacted.get("@graph", [compacted])
    # (schema.org's context calls `@id` `id`.)
    strip = [
        {("id" if k == "@id" else k): v for k, v in r.items() if k != "@context"} for r in reviews
    ]
    assert _arrays(sorted(graph, key=lambda r: r["url"])) == _arrays(strip)


# -- W3C Web Annotation ---------------------------------------------------------------------


class MustSuite:
    """The MUST assertions of the W3C Web Annotation test suite, as JSON Schema validators."""

    def __init__(self, root: Path) -> None:
        self.root = root
        schemas = {}
        for path in sorted((root / "definitions").glob("*.json")):
            schemas[path] = json.loads(path.read_text(encoding="utf-8"))
        self.lists: dict[str, list[Path]] = {}
        for kind, test in (
            ("annotation", "annotations/annotationMusts.test"),
            ("collection", "collections/collectionMusts.test"),
            ("page", "collections/pages/pageMusts.test"),
        ):
            listed = json.loads((root / test).read_text(encoding="utf-8"))["assertions"]
            self.lists[kind] = [root / p for p in listed]
            for path in self.lists[kind]:
                schemas[path] = json.loads(path.read_text(encoding="utf-8"))
        self.schemas = schemas
        self.registry: Registry[Any] = Registry().with_resources(
            (s["id"], Resource.from_contents(s, default_specification=DRAFT4))
            for s in schemas.values()
        )

    def failures(self, kind: str, instance: Any) -> list[str]:
        """Every MUST assertion of `kind` the instance fails, with the suite's message."""
        failed = []
        for path in self.lists[kind]:
            schema = self.schemas[path]
            validator = Draft4Validator(
                schema, registry=self.registry, format_checker=Draft4Validator.FORMAT_CHECKER
            )
            if not validator.is_valid(instance):
                failed.append(f"{path.relative_to(self.root)}: {schema.get('errorMessage')}")
        return failed


@pytest.fixture(scope="module")
def musts() -> MustSuite:
    return MustSuite(
        shared_data(
            "ANNOTATE_W3C_TESTS",
            SHARED / "w3c-annotation-tests",
            "the W3C Web Annotation test suite's JSON schemas",
            "the annotation-model/ folder of web-platform-tests (definitions/, annotations/, "
            "collections/)",
        )
    )


def check_w3c(collection: dict[str, Any], musts: MustSuite) -> None:
    assert musts.failures("collection", collection) == []
    if collection["total"]:
        assert musts.failures("page", collection["first"]) == []
    items = collection["first"]["items"] if collection["total"] else []
    assert len(items) == collection["total"]
    for annotation in items:
        assert musts.failures("annotation", annotation) == [], annotation["id"]


def test_w3c_export_of_the_shipped_store_meets_every_must(
    run: Callable[..., Result], musts: MustSuite
) -> None:
    check_w3c(json.loads(run("export", "--format", "w3c").output), musts)


def test_w3c_export_of_a_sample_store_meets_every_must(
    sample_ws: Workspace, run: Callable[..., Result], musts: MustSuite
) -> None:
    collection = json.loads(run("export", "--format", "w3c").output)
    assert collection["total"] == 4
    check_w3c(collection, musts)


def test_the_must_suite_catches_a_broken_annotation(sample_ws: Workspace, musts: MustSuite) -> None:
    annotation = json.loads(export(sample_ws, "w3c"))["first"]["items"][0]
    assert musts.failures("annotation", annotation) == []
    assert musts.failures("annotation", {**annotation, "@context": "http://example.org/c"})
    # The format checks are live (they need rfc3339-validator and rfc3986-validator).
    assert musts.failures("annotation", {**annotation, "created": "yesterday"})
    assert musts.failures("annotation", {**annotation, "id": "not a uri"})
    no_target = {k: v for k, v in annotation.items() if k != "target"}
    assert musts.failures("annotation", no_target)
    bad_quote = dict(
        annotation, target=[{"source": "http://x.org/d", "selector": {"type": "TextQuoteSelector"}}]
    )
    assert musts.failures("annotation", bad_quote)


def test_w3c_annotation_carries_claim_verdict_sources_and_selectors(
    sample_ws: Workspace, run: Callable[..., Result]
) -> None:
    collection = json.loads(run("export", "--format", "w3c", "--base-url", "https://d.org").output)
    assert collection["id"] == "https://d.org/annotations"
    assert collection["type"] == "AnnotationCollection"
    assert collection["label"]
    items = {a["id"]: a for a in collection["first"]["items"]}
    annotation = items["https://d.org/annotations/no-iskanders-used"]
    assert annotation["motivation"] == "assessing"
    assert annotation["@context"][0] == "http://www.w3.org/ns/anno.jsonld"
    by_purpose = {b.get("purpose"): b for b in annotation["body"] if "stance" not in b}
    assert by_purpose["describing"]["value"].startswith("No Iskander missiles")
    assert by_purpose["classifying"]["value"] == "disputed"
    assert by_purpose["assessing"]["value"].startswith("Moscow denies it")
    assert by_purpose["assessing"]["creator"] == {"type": "Person", "name": "bob"}
    sources = [b for b in annotation["body"] if "stance" in b]
    assert [s["stance"] for s in sources] == ["supports", "refutes", "context"]
    assert sources[0]["type"] == "SpecificResource"
    assert sources[2]["source"]["id"] == "https://example.org/anama-briefing"
    assert {s["purpose"] for s in sources} == {"linking"}
    claim = sample_ws.claim("no-iskanders-used")
    assert len(annotation["target"]) == len(claim.appearances)
    for target, anchor in zip(annotation["target"], claim.appearances, strict=True):
        assert target["source"] == f"https://d.org/documents/{anchor.doc}"
        quote_sel, position = target["selector"]
        assert quote_sel["type"] == "TextQuoteSelector"
        assert (quote_sel["exact"], quote_sel["prefix"], quote_sel["suffix"]) == (
            anchor.exact,
            anchor.prefix,
            anchor.suffix,
        )
        assert position == {
            "type": "TextPositionSelector",
            "start": anchor.start,
            "end": anchor.end,
        }
    assert annotation["creator"] == {"type": "Person", "name": "alice"}
    assert annotation["created"] == "2021-05-03T09:30:00Z"
    assert annotation["generator"]["type"] == "Software"
    unreviewed = items["https://d.org/annotations/marking-9m723"]
    assert [b["purpose"] for b in unreviewed["body"]] == ["describing"]


def test_w3c_export_of_an_empty_store_is_an_empty_collection(
    empty_store: Path, run: Callable[..., Result], musts: MustSuite
) -> None:
    collection = json.loads(run("export", "--format", "w3c").output)
    assert collection["total"] == 0 and "first" not in collection
    assert musts.failures("collection", collection) == []


# -- CSV ------------------------------------------------------------------------------------


def test_csv_has_one_row_per_claim(run: Callable[..., Result], ws: Workspace) -> None:
    rows = list(csv.DictReader(io.StringIO(run("export", "--format", "csv").output)))
    assert [r["id"] for r in rows] == [c.id for c in ws.store.claims()]
    assert {r["verdict"] for r in rows} == {"confirmed", "denied", "disputed"}


@pytest.mark.parametrize(
    "statement", ['=HYPERLINK("http://evil.example","click")', "+1", "-1", "@SUM(A1:A2)"]
)
def test_csv_cells_never_start_a_formula(
    sample_ws: Workspace, run: Callable[..., Result], statement: str
) -> None:
    sample_ws.create_claim(
        {
            "id": "formula",
            "statement": statement,
            "claimant": statement,
            "appearances": [
                {
                    "doc": DOC_BBC,
                    "start": 0,
                    "end": 3,
                    "exact": sample_ws.corpus.get(DOC_BBC).text[:3],
                }
            ],
        },
        "alice",
    )
    rows = list(csv.reader(io.StringIO(run("export", "--format", "csv").output)))
    header, body = rows[0], rows[1:]
    assert "statement" in header
    cells = [cell for row in body for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    row = next(r for r in body if r[0] == "formula")
    assert row[header.index("statement")] == "'" + statement


# -- publishing: the desk's settings ----------------------------------------------------------

DESK_SETTINGS = """\
[publish]
base_url = "https://factcheck.example.org/"
org_name = "Example Fact Check"
org_url = "https://example.org"
org_logo = "https://example.org/logo.png"
"""


def test_claimreview_of_a_configured_desk_is_fit_to_publish(
    run: Callable[..., Result], workdir: Path
) -> None:
    (workdir / "annotate.toml").write_text(DESK_SETTINGS, encoding="utf-8")
    result = run("export", "--format", "claimreview")
    assert result.exit_code == 0, result.output
    assert "127.0.0.1" not in result.output and "localhost" not in result.output
    reviews = json.loads(result.output)
    shipped = json.loads(run("export", "--format", "json").output)["claims"]
    assert len(reviews) == sum(1 for c in shipped if c.get("verdict")) == 73
    ids = [r["@id"] for r in reviews]
    assert len(set(ids)) == len(ids)
    for review in reviews:
        claim_id = review["url"].rsplit("/", 1)[1]
        assert review["url"] == f"https://factcheck.example.org/claims/{claim_id}"
        assert review["@id"] == f"https://factcheck.example.org/claims/{claim_id}#claimreview"
        assert review["author"] == {
            "@type": "Organization",
            "name": "Example Fact Check",
            "url": "https://example.org",
            "logo": {"@type": "ImageObject", "url": "https://example.org/logo.png"},
        }
        assert 0 < len(review["claimReviewed"]) <= 75, review["claimReviewed"]
        rating = review["reviewRating"]
        assert rating["name"] in {"Confirmed", "Denied", "Disputed", "Unproven"}
        item = review["itemReviewed"]
        first = item["firstAppearance"]
        assert first["datePublished"] and first["url"]
        assert all(a["url"] != first["url"] for a in item.get("appearance", []))
        dates = [a["datePublished"] for a in item.get("appearance", []) if "datePublished" in a]
        assert all(first["datePublished"] <= d for d in dates)


def test_claimreview_publishes_the_short_form_and_falls_back_to_the_statement(
    run: Callable[..., Result], workdir: Path
) -> None:
    (workdir / "annotate.toml").write_text(DESK_SETTINGS, encoding="utf-8")
    shipped = {c["id"]: c for c in json.loads(run("export", "--format", "json").output)["claims"]}
    reviews = json.loads(run("export", "--format", "claimreview").output)
    published = {r["url"].rsplit("/", 1)[1]: r["claimReviewed"] for r in reviews}
    with_short = [c for c in shipped.values() if "short_statement" in c]
    assert with_short and len(with_short) < len(shipped)
    for cid, text in published.items():
        assert text == shipped[cid].get("short_statement", shipped[cid]["statement"])


@pytest.mark.parametrize(
    "url",
    [
        None,
        "http://127.0.0.1:5000",
        "http://localhost:8000",
        "http://[::1]:5000",
        "http://0.0.0.0",
        "https://10.1.2.3",
        "https://192.168.0.7/desk",
        "http://169.254.1.1",
        "https://desk.local",
        "https://annotate.internal",
        "http://factcheck",
    ],
)
def test_claimreview_refuses_to_publish_a_url_nobody_can_reach(
    run: Callable[..., Result], tmp_path: Path, url: str | None
) -> None:
    out = tmp_path / "reviews.jsonld"
    options = ("--base-url", url) if url else ()
    result = run("export", "--format", "claimreview", "-o", str(out), *options)
    assert result.exit_code == 2
    assert "refusing to export claimreview" in result.output
    assert "[publish] base_url" in result.output and "--base-url" in result.output
    assert "not a public URL" in result.output
    assert not out.exists()


def test_claimreview_refuses_a_private_organisation_url_naming_its_setting(
    run: Callable[..., Result],
) -> None:
    result = run(
        "export", "--format", "claimreview", "--base-url", PUBLIC, "--org-url", "http://intranet"
    )
    assert result.exit_code == 2
    assert "[publish] org_url" in result.output and "--org-url" in result.output


def test_the_web_export_refuses_claimreview_without_a_public_url(workdir: Path) -> None:
    from .webutil import make_app

    local = make_app(workdir).test_client()
    refused = local.get("/api/export?format=claimreview")
    assert refused.status_code == 409
    assert "[publish] base_url" in refused.get_json()["error"]
    page = local.get("/export").get_data(as_text=True)
    assert "Not published:" in page and "format=claimreview" not in page
    public = make_app(workdir, BASE_URL="http://factcheck.example.org").test_client()
    ok = public.get("/api/export?format=claimreview")
    assert ok.status_code == 200
    assert ok.get_json()[0]["url"].startswith("http://factcheck.example.org/claims/")


def test_flags_and_environment_win_over_the_settings_file(
    run: Callable[..., Result], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "annotate.toml").write_text(DESK_SETTINGS, encoding="utf-8")
    flagged = json.loads(run("export", "--format", "claimreview", "--org-name", "Flag Desk").output)
    assert flagged[0]["author"]["name"] == "Flag Desk"
    assert flagged[0]["url"].startswith("https://factcheck.example.org/")
    monkeypatch.setenv("ANNOTATE_BASE_URL", "https://env.example.net")
    from_env = json.loads(run("export", "--format", "claimreview").output)
    assert from_env[0]["url"].startswith("https://env.example.net/claims/")
    flag = json.loads(
        run("export", "--format", "claimreview", "--base-url", "https://flag.example.com").output
    )
    assert flag[0]["url"].startswith("https://flag.example.com/claims/")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[publish]\nbase_url = "ftp://desk.example.org"\n', "publish.base_url"),
        ("[publish]\nbase_ur = 'https://x.example.org'\n", "publish.base_ur"),
        ("[serve]\nport = 70000\n", "serve.port"),
        ('[serve]\nhttps = "yes"\n', "serve.https"),
        ("[serve]\nrunning = 0\n", "serve.running"),
    ],
)
def test_a_bad_publish_or_serve_setting_is_named_with_its_file(
    run: Callable[..., Result], workdir: Path, text: str, named: str
) -> None:
    (workdir / "annotate.toml").write_text(text, encoding="utf-8")
    result = run("export", "--format", "json")
    assert result.exit_code == 2
    assert "settings file 'annotate.toml'" in result.output and named in result.output


def test_serve_takes_its_options_from_the_settings_file_and_flags_win(
    run: Callable[..., Result], workdir: Path
) -> None:
    (workdir / "annotate.toml").write_text('[serve]\nhost = "192.0.2.10"\n', encoding="utf-8")
    from_file = run("serve", "--port", "0")
    assert from_file.exit_code == 2
    assert "refusing to listen on 192.0.2.10 without accounts" in from_file.output
    flagged = run("serve", "--host", "198.51.100.7", "--port", "0")
    assert "refusing to listen on 198.51.100.7 without accounts" in flagged.output


def test_init_writes_every_publish_and_serve_setting_commented(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    desk = tmp_path / "newdesk"
    assert run("init", str(desk), "--package", "annotate").exit_code == 0
    text = (desk / "annotate.toml").read_text(encoding="utf-8")
    from annotate.record.settings import PublishSettings, ServeSettings

    assert "[publish]" in text and "[serve]" in text
    for name in (*PublishSettings.model_fields, *ServeSettings.model_fields):
        assert f"# {name} = " in text, name
    # Commented out, it changes nothing: the desk checks with its defaults.
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and " = " in line else line for line in text.splitlines()
    )
    import tomllib

    assert set(tomllib.loads(uncommented)) == {"reviews", "publish", "serve"}


# -- json with history, csv for Excel -------------------------------------------------------------


def test_a_desk_moved_by_json_export_and_import_keeps_its_history(
    run: Callable[..., Result], workdir: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "moved.json"
    assert run("export", "--format", "json", "--with-history", "-o", str(moved)).exit_code == 0
    exported_claims = json.loads(moved.read_text(encoding="utf-8"))["claims"]
    assert all(c["history"] for c in exported_claims)
    fresh = tmp_path / "fresh"
    (fresh / "fixtures").mkdir(parents=True)
    result = run(
        "import",
        "--format",
        "json",
        str(moved),
        "--store",
        str(fresh / "fixtures"),
        "--reviewer",
        "desk editor",
    )
    assert result.exit_code == 0, result.output
    assert "73 created" in result.output
    again = json.loads(
        run(
            "export", "--format", "json", "--with-history", "--store", str(fresh / "fixtures")
        ).output
    )["claims"]
    assert [c["id"] for c in again] == [c["id"] for c in exported_claims]
    for before, after in zip(exported_claims, again, strict=True):
        *kept, entry = after["history"]
        assert kept == before["history"], before["id"]
        assert entry["action"] == "imported" and entry["by"] == "desk editor"
        assert entry["version"] == before["version"] == after["version"]
        assert {k: v for k, v in after.items() if k != "history"} == {
            k: v for k, v in before.items() if k != "history"
        }
    # The moved desk checks as the old one did.
    assert run("check", "--strict", "--store", str(fresh / "fixtures")).exit_code == 0


def test_an_import_refuses_a_history_that_runs_past_the_claims_version(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    data = json.loads(run("export", "--format", "json", "--with-history").output)
    claim = data["claims"][0]
    claim["history"][-1]["version"] = claim["version"] + 5
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"claims": [claim]}), encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("import", "--format", "json", str(path), "--store", str(empty))
    assert result.exit_code == 1
    assert "history: its versions must grow up to the claim's version" in result.output
    assert not list(empty.glob("*.json"))


def test_with_history_and_excel_go_with_their_formats(run: Callable[..., Result]) -> None:
    assert run("export", "--format", "csv", "--with-history").exit_code == 2
    assert run("export", "--format", "json", "--excel").exit_code == 2


def test_csv_for_excel_starts_with_a_utf8_byte_order_mark(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.csv"
    excel = tmp_path / "excel.csv"
    assert run("export", "--format", "csv", "-o", str(plain)).exit_code == 0
    assert run("export", "--format", "csv", "--excel", "-o", str(excel)).exit_code == 0
    raw = excel.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid,statement,")
    assert raw[3:] == plain.read_bytes()
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    # Rows end in CRLF; a quoted cell keeps its own line breaks.
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0][0] == "id" and rows[0][-1] == "claim_month"
    assert raw.count(b"\r\n") >= len(rows)
    assert any("’" in cell for row in rows for cell in row)


def test_the_web_export_gives_history_and_excel_on_request(workdir: Path) -> None:
    from .webutil import make_app

    client = make_app(workdir).test_client()
    plain = client.get("/api/export?format=json").get_json()["claims"][0]
    full = client.get("/api/export?format=json&history=1").get_json()["claims"][0]
    assert "history" not in plain and full["history"]
    excel = client.get("/api/export?format=csv&excel=1").get_data()
    assert excel.startswith(b"\xef\xbb\xbf")
    assert not client.get("/api/export?format=csv").get_data().startswith(b"\xef\xbb\xbf")


def test_the_serve_settings_are_for_serve_only(run: Callable[..., Result], workdir: Path) -> None:
    (workdir / "annotate.toml").write_text('[serve]\nreviewer = "desk editor"\n', encoding="utf-8")
    cid = "aliyev-called-putin-about-marking"
    assert run("short-form", cid, "Aliyev phoned Putin about the marking").exit_code == 0
    saved = json.loads((workdir / "fixtures" / f"{cid}.json").read_text(encoding="utf-8"))
    assert saved["history"][-1]["by"] != "desk editor"


# -- claim relations and questions ------------------------------------------------------------

LINKED = "kremlin-iskanders-not-used"  # the shipped record: it repeats the MoD's denial
NAMER = "ru-mod-no-iskander-used"  # names "Were Iskanders used?", answering no


def test_json_export_carries_relations_and_the_question_name(run: Callable[..., Result]) -> None:
    claims = {c["id"]: c for c in json.loads(run("export", "--format", "json").output)["claims"]}
    assert claims[LINKED]["relations"] == [{"claim": NAMER, "kind": "repeats"}]
    assert claims[NAMER]["question"] == {"answer": "no", "name": "Were Iskanders used?"}
    assert "relations" not in claims[NAMER] and "question" not in claims[LINKED]


def test_w3c_export_gives_a_relation_as_a_linking_body_naming_the_other_annotation(
    run: Callable[..., Result],
) -> None:
    collection = json.loads(run("export", "--format", "w3c", "--base-url", "https://d.org").output)
    items = {a["id"]: a for a in collection["first"]["items"]}
    linked = items[f"https://d.org/annotations/{LINKED}"]
    (link,) = [b for b in linked["body"] if "relation" in b]
    assert link == {
        "type": "SpecificResource",
        "source": f"https://d.org/annotations/{NAMER}",
        "purpose": "linking",
        "relation": "repeats",
    }
    assert link["source"] in items  # the other claim's annotation, in the same collection
    assert items[f"https://d.org/annotations/{NAMER}"]["question"] == {
        "name": "Were Iskanders used?",
        "answer": "no",
    }
    # As JSON-LD the kind is a term of the desk's namespace, not a plain string (our part of
    # the context alone: the annotation context itself is not fetched in tests).
    (expanded,) = jsonld.expand({"@context": linked["@context"][1], **link})
    assert expanded["https://d.org/ns#relation"] == [{"@id": "https://d.org/ns#repeats"}]


def test_csv_says_each_claims_relations_and_the_question_it_answers(
    run: Callable[..., Result],
) -> None:
    rows = {
        r["id"]: r for r in csv.DictReader(io.StringIO(run("export", "--format", "csv").output))
    }
    assert rows[LINKED]["relations"] == f"repeats {NAMER}"
    assert rows[LINKED]["question"] == "Were Iskanders used? (no)"
    assert rows["pashinyan-iskanders-did-not-explode"]["question"] == "Were Iskanders used? (yes)"
    assert rows["second-karabakh-war-lasted-44-days"]["relations"] == ""
    assert rows["second-karabakh-war-lasted-44-days"]["question"] == ""
