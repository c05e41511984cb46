"""`annotate import`: round trips of our own exports, W3C annotations of other tools, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from annotate.formats.importer import content
from annotate.record.anchoring import locate_quote
from annotate.record.service import Workspace
from annotate.record.store import Store

from .conftest import DOC_AZERNEWS, DOC_BBC, DOC_VENEDIKTOV


def snapshot(store: Path) -> dict[str, bytes]:
    """Every file of a store folder, to show that nothing was written."""
    return {p.name: p.read_bytes() for p in sorted(store.iterdir()) if p.is_file()}


def export_to(run: Callable[..., Result], path: Path, fmt: str, *options: str) -> Path:
    result = run("export", "--format", fmt, "-o", str(path), *options)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def other_store(workdir: Path) -> Path:
    """A second, empty store beside the workdir's one."""
    path = workdir / "other-store"
    path.mkdir()
    return path


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# -- our own json export --------------------------------------------------------------------


def test_json_export_round_trips_to_the_same_bytes(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    first = export_to(run, tmp_path / "first.json", "json")
    result = run("import", "--store", str(other_store), "--format", "json", str(first))
    assert result.exit_code == 0, result.output
    assert "4 created, 0 replaced, 0 unchanged, 0 not imported" in result.output
    again = export_to(run, tmp_path / "again.json", "json", "--store", str(other_store))
    assert again.read_bytes() == first.read_bytes()


def test_json_round_trip_of_the_shipped_store(
    run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    first = export_to(run, tmp_path / "first.json", "json")
    result = run("import", "--store", str(other_store), "--format", "json", str(first))
    assert result.exit_code == 0, result.output
    again = export_to(run, tmp_path / "again.json", "json", "--store", str(other_store))
    assert again.read_bytes() == first.read_bytes()


def test_imported_claims_record_the_import_in_their_history(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    first = export_to(run, tmp_path / "first.json", "json")
    run("import", "--store", str(other_store), "--format", "json", "--reviewer", "dora", str(first))
    claim = Store(other_store).get("no-iskanders-used")
    assert claim.version == sample_ws.claim("no-iskanders-used").version
    last = claim.history[-1]
    assert (last.action, last.by, last.version) == ("imported", "dora", claim.version)
    assert "first.json" in (last.note or "")


def test_importing_again_changes_nothing(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, workdir: Path
) -> None:
    first = export_to(run, tmp_path / "first.json", "json")
    before = snapshot(workdir / "fixtures")
    result = run("import", "--format", "json", str(first))
    assert result.exit_code == 0, result.output
    assert "0 created, 0 replaced, 4 unchanged, 0 not imported" in result.output
    assert snapshot(workdir / "fixtures") == before


def _edited_export(run: Callable[..., Result], tmp_path: Path) -> Path:
    data = json.loads(export_to(run, tmp_path / "first.json", "json").read_text("utf-8"))
    claim = next(c for c in data["claims"] if c["id"] == "marking-9m723")
    claim["statement"] = "The fragments are marked 9M723, a Russian-service missile."
    return write_json(tmp_path / "edited.json", data)


def test_a_different_claim_with_the_same_id_is_refused_and_reported(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, workdir: Path
) -> None:
    edited = _edited_export(run, tmp_path)
    before = snapshot(workdir / "fixtures")
    result = run("import", "--format", "json", str(edited))
    assert result.exit_code == 1
    assert "not imported marking-9m723: a different claim with this id is in the store" in (
        result.output
    )
    assert "statement" in result.output and "--replace" in result.output
    assert "0 created, 0 replaced, 3 unchanged, 1 not imported" in result.output
    assert snapshot(workdir / "fixtures") == before


def test_replace_overwrites_a_different_claim_as_a_new_version(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    old = sample_ws.claim("marking-9m723")
    result = run(
        "import",
        "--format",
        "json",
        "--replace",
        "--reviewer",
        "erin",
        str(_edited_export(run, tmp_path)),
    )
    assert result.exit_code == 0, result.output
    assert "replace marking-9m723" in result.output
    new = sample_ws.claim("marking-9m723")
    assert new.version == old.version + 1
    assert new.statement.startswith("The fragments are marked 9M723")
    assert new.history[-1].action == "imported" and new.history[-1].by == "erin"
    assert new.history[-1].changes["statement"] == [old.statement, new.statement]


def test_dry_run_reports_and_writes_nothing(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    first = export_to(run, tmp_path / "first.json", "json")
    result = run("import", "--store", str(other_store), "--format", "json", "--dry-run", str(first))
    assert result.exit_code == 0, result.output
    assert "would create no-iskanders-used" in result.output
    assert "(dry run: nothing written)" in result.output
    assert list(other_store.glob("*.json")) == []


def test_a_claim_whose_quote_is_not_in_the_corpus_is_reported_the_rest_imported(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    data = json.loads(export_to(run, tmp_path / "first.json", "json").read_text("utf-8"))
    data["claims"][0]["appearances"][0]["start"] += 1
    data["claims"][0]["appearances"][0]["end"] += 1
    data["claims"][1]["appearances"][0]["doc"] = "no-such-doc"
    bad = write_json(tmp_path / "bad.json", data)
    result = run("import", "--store", str(other_store), "--format", "json", str(bad))
    assert result.exit_code == 1
    first, second = data["claims"][0]["id"], data["claims"][1]["id"]
    assert f"not imported {first}: appearances[0]: in " in result.output
    assert "the quote is not at offsets" in result.output
    assert f"not imported {second}: appearances[0].doc: no document 'no-such-doc'" in (
        result.output
    )
    assert sorted(p.stem for p in other_store.glob("*.json")) == sorted(
        c["id"] for c in data["claims"][2:]
    )


def test_an_invalid_claim_is_reported_with_its_field(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    bad = write_json(tmp_path / "bad.json", {"claims": [{"id": "x1", "statement": "s"}]})
    result = run("import", "--format", "json", str(bad))
    assert result.exit_code == 1
    assert "not imported x1: version: Field required" in result.output
    assert list((empty_store / "fixtures").glob("*.json")) == []


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("json", "{not json", "not valid JSON"),
        ("json", '{"rows": []}', 'a json import is {"claims": [...]}'),
        ("json", '"claims"', 'a json import is {"claims": [...]}'),
        ("w3c", '{"claims": []}', "a w3c import is an AnnotationCollection"),
        ("w3c", "\udcff", "not UTF-8"),
        (
            "w3c",
            '{"type": "AnnotationCollection", "first": "http://x.org/p1"}',
            "only inline pages",
        ),
    ],
)
def test_a_file_of_the_wrong_shape_is_a_clear_error_and_writes_nothing(
    sample_ws: Workspace,
    run: Callable[..., Result],
    tmp_path: Path,
    workdir: Path,
    fmt: str,
    text: str,
    message: str,
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    before = snapshot(workdir / "fixtures")
    result = run("import", "--format", fmt, str(path))
    assert result.exit_code == 1
    assert result.output.startswith("Error: input.json: ")
    assert message in result.output and "nothing was imported" in result.output
    assert snapshot(workdir / "fixtures") == before


# -- our own w3c export ---------------------------------------------------------------------


def test_w3c_export_round_trips_statements_appearances_verdicts_and_sources(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    exported = export_to(run, tmp_path / "claims.jsonld", "w3c")
    result = run("import", "--store", str(other_store), "--format", "w3c", str(exported))
    assert result.exit_code == 0, result.output
    imported = {c.id: c for c in Store(other_store).claims()}
    assert sorted(imported) == [c.id for c in sample_ws.claims()]
    for original in sample_ws.claims():
        assert content(imported[original.id]) == content(original)
        assert imported[original.id].created_at == original.created_at
    again = export_to(run, tmp_path / "again.jsonld", "w3c", "--store", str(other_store))
    assert again.read_bytes() == exported.read_bytes()


@pytest.mark.parametrize(("fmt", "name"), [("json", "c.json"), ("w3c", "c.jsonld")])
def test_an_orphaned_appearance_round_trips_as_orphaned(
    sample_ws: Workspace,
    run: Callable[..., Result],
    tmp_path: Path,
    other_store: Path,
    fmt: str,
    name: str,
) -> None:
    claim = sample_ws.claim("marking-9m723")
    lost = claim.appearances[0].model_copy(update={"start": 5, "end": 12, "orphaned": True})
    sample_ws.store.write_unchecked(
        claim.model_copy(update={"appearances": [lost, *claim.appearances[1:]]})
    )
    exported = export_to(run, tmp_path / name, fmt)
    result = run("import", "--store", str(other_store), "--format", fmt, str(exported))
    assert result.exit_code == 0, result.output
    assert Store(other_store).get("marking-9m723").appearances[0] == lost


def test_an_empty_reviewer_name_is_refused(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    exported = export_to(run, tmp_path / "c.json", "json")
    result = run(
        "import", "--store", str(other_store), "--format", "json", "--reviewer", " ", str(exported)
    )
    assert result.exit_code == 1 and "reviewer name" in result.output
    assert list(other_store.glob("*.json")) == []


def test_w3c_import_matches_documents_under_another_base_url(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    exported = export_to(run, tmp_path / "c.jsonld", "w3c", "--base-url", "https://d.example")
    result = run(
        "import",
        "--store",
        str(other_store),
        "--format",
        "w3c",
        "--base-url",
        "https://d.example",
        str(exported),
    )
    assert result.exit_code == 0, result.output
    assert len(list(other_store.glob("*.json"))) == len(sample_ws.claims())


# -- W3C annotations of other tools ---------------------------------------------------------


def hypothesis_row(
    source: str, exact: str, prefix: str = "", suffix: str = "", **extra: Any
) -> dict[str, Any]:
    """An annotation as the Hypothesis API gives it."""
    selector: list[dict[str, Any]] = [
        {"type": "TextQuoteSelector", "exact": exact, "prefix": prefix, "suffix": suffix}
    ]
    if "start" in extra:
        selector.append(
            {"type": "TextPositionSelector", "start": extra.pop("start"), "end": extra.pop("end")}
        )
    return {
        "id": extra.pop("id", "kVmY0IMeEeiB5ddjFLL3wQ"),
        "created": "2021-04-08T10:00:00.000000+00:00",
        "updated": "2021-04-08T10:05:00.000000+00:00",
        "user": "acct:fact_checker@hypothes.is",
        "uri": source,
        "text": extra.pop("text", "Check this against the MoD briefing."),
        "tags": extra.pop("tags", ["iskander"]),
        "target": [{"source": source, "selector": selector}],
        **extra,
    }


@pytest.fixture
def azernews_url(workdir: Path) -> str:
    """Give one document of the copied corpus a url of its own, as real articles have."""
    url = "https://www.azernews.az/nation/176453.html"
    meta_path = workdir / "seeds" / f"{DOC_AZERNEWS}.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["url"] = url
    write_json(meta_path, meta)
    return url


def test_hypothesis_annotations_become_unreviewed_claims_anchored_in_the_corpus(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path, azernews_url: str
) -> None:
    exact = "Sargsyan linked the failure to launch the Iskander missile"
    rows = {"total": 1, "rows": [hypothesis_row(azernews_url + "#intro", exact, start=1, end=9)]}
    result = run("import", "--format", "w3c", str(write_json(tmp_path / "h.json", rows)))
    assert result.exit_code == 0, result.output
    (claim,) = Workspace.open(empty_store / "seeds", empty_store / "fixtures").claims()
    assert claim.verdict is None
    assert claim.statement == exact
    assert claim.claimant == "unknown"
    assert claim.created_by == "fact_checker@hypothes.is"
    (anchor,) = claim.appearances
    text = (empty_store / "seeds" / f"{DOC_AZERNEWS}.txt").read_text(encoding="utf-8")
    assert anchor.doc == DOC_AZERNEWS and text[anchor.start : anchor.end] == exact
    assert anchor.prefix and anchor.suffix
    assert claim.note == "Check this against the MoD briefing."
    assert claim.tags == ["iskander"]
    # The same file again finds the same claim: the id is stable.
    again = run("import", "--format", "w3c", str(tmp_path / "h.json"))
    assert again.exit_code == 0 and "1 unchanged" in again.output


def test_prefix_and_suffix_choose_between_repeated_quotes(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    text = (empty_store / "seeds" / f"{DOC_VENEDIKTOV}.txt").read_text(encoding="utf-8")
    second = text.index("9M723", text.index("9M723") + 1)
    source = f"http://127.0.0.1:5000/documents/{DOC_VENEDIKTOV}"
    rows = [
        hypothesis_row(source, "9M723", prefix=text[second - 20 : second], id="a1"),
        hypothesis_row(source, "9M723", id="a2"),
    ]
    result = run("import", "--format", "w3c", str(write_json(tmp_path / "h.json", rows)))
    assert result.exit_code == 1
    assert (
        "not imported annotation a2: target 1: in 004_da7503a316cb05c0: the quote '9M723' "
        "occurs 2 times and its context does not tell which one is meant" in result.output
    )
    (claim,) = Workspace.open(empty_store / "seeds", empty_store / "fixtures").claims()
    assert claim.appearances[0].start == second


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("https://elsewhere.example/article", "is a whole resource, with no quote to anchor"),
        (
            {
                "source": "https://elsewhere.example/article",
                "selector": {"type": "TextQuoteSelector", "exact": "Iskander"},
            },
            "source https://elsewhere.example/article is not a document of the corpus",
        ),
        (
            {
                "source": f"file:///corpus/{DOC_BBC}.txt",
                "selector": {"type": "TextPositionSelector", "start": 0, "end": 4},
            },
            "has no TextQuoteSelector with an exact quote",
        ),
        (
            {
                "source": f"file:///corpus/{DOC_BBC}.txt",
                "selector": {"type": "TextQuoteSelector", "exact": "Tomahawk cruise missile"},
            },
            "the quote 'Tomahawk cruise missile' is not in the document",
        ),
    ],
)
def test_what_cannot_be_anchored_is_reported_and_nothing_of_it_written(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path, target: Any, reason: str
) -> None:
    good = {
        "source": f"file:///corpus/{DOC_BBC}.txt",
        "selector": {"type": "TextQuoteSelector", "exact": "Two missiles fired on Shusha"},
    }
    annotation = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "urn:uuid:1b8c4f0e-2c4e-4a43-9c4d-7a3f0c2b1e11",
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "Two missiles, says ANAMA."},
        "target": [good, target],
    }
    result = run("import", "--format", "w3c", str(write_json(tmp_path / "a.json", annotation)))
    assert result.exit_code == 1
    assert (
        "not imported annotation urn:uuid:1b8c4f0e-2c4e-4a43-9c4d-7a3f0c2b1e11: target 2: "
        in result.output
    )
    assert reason in result.output
    assert "0 created, 0 replaced, 0 unchanged, 1 not imported" in result.output
    assert list((empty_store / "fixtures").glob("*.json")) == []


def test_a_quote_is_found_when_only_white_space_differs(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path
) -> None:
    annotation = {
        "type": "Annotation",
        "id": "https://other.example/anno/7",
        "body": [{"type": "TextualBody", "purpose": "describing", "value": "ANAMA showed two."}],
        "target": {
            "type": "SpecificResource",
            "source": f"https://x.example/{DOC_BBC}",
            "selector": {
                "type": "TextQuoteSelector",
                "exact": "showcased   the fragments\nof two missiles",
            },
        },
    }
    result = run("import", "--format", "w3c", str(write_json(tmp_path / "a.json", annotation)))
    assert result.exit_code == 0, result.output
    (claim,) = Workspace.open(empty_store / "seeds", empty_store / "fixtures").claims()
    assert claim.statement == "ANAMA showed two."
    assert claim.appearances[0].exact == "showcased the fragments of two missiles"
    assert claim.id.startswith("anama-showed-two-")


def test_locate_quote_prefers_the_position_when_the_quote_is_there() -> None:
    text = "abc Iskander def Iskander ghi"
    assert locate_quote(text, "Iskander", start=17, end=25) == (17, 25)
    assert locate_quote(text, "Iskander", start=3, end=11, suffix=" ghi") == (17, 25)
    assert locate_quote(text, "Iskander", start=16, end=24) == (17, 25)
    with pytest.raises(ValueError, match="occurs 2 times"):
        locate_quote(text, "Iskander")


def test_import_reads_standard_input(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    exported = export_to(run, tmp_path / "c.json", "json").read_text(encoding="utf-8")
    result = run("import", "--store", str(other_store), "--format", "json", "-", input=exported)
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output
    assert Store(other_store).get("no-iskanders-used").history[-1].note == (
        "imported from standard input (json)"
    )


# -- the same thing twice (issue 15) ----------------------------------------------------------


def test_the_same_id_twice_in_one_file_is_reported_and_only_the_first_imported(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    data = json.loads(export_to(run, tmp_path / "first.json", "json").read_text("utf-8"))
    first = data["claims"][0]
    twin = {**first, "statement": "Another statement under the same id."}
    data["claims"] = [first, twin]
    # Even with --replace, the second is not taken for a new version of the first.
    result = run(
        "import", "--store", str(other_store), "--format", "json", "--replace",
        str(write_json(tmp_path / "twice.json", data)),
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"not imported {first['id']}: claim id '{first['id']}' is twice in the file" in (
        result.output
    )
    assert "1 created, 0 replaced, 0 unchanged, 1 not imported" in result.output
    assert Store(other_store).get(first["id"]).statement == first["statement"]
    assert [p.stem for p in other_store.glob("*.json")] == [first["id"]]


@pytest.mark.parametrize("depth", [65, 200_000])
def test_a_file_nested_too_deep_is_refused_with_a_message_and_nothing_written(
    run: Callable[..., Result], tmp_path: Path, other_store: Path, depth: int
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"claims": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}", "utf-8")
    result = run("import", "--store", str(other_store), "--format", "json", str(path))
    assert result.exit_code == 1
    assert "nests arrays or objects more than 64 levels deep" in result.output
    assert "Traceback" not in result.output
    assert not list(other_store.iterdir())


def test_a_claim_whose_id_windows_reserves_is_not_imported(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    data = json.loads(export_to(run, tmp_path / "first.json", "json").read_text("utf-8"))
    data["claims"] = [{**data["claims"][0], "id": "com1"}]
    result = run(
        "import", "--store", str(other_store), "--format", "json",
        str(write_json(tmp_path / "reserved.json", data)),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "not imported com1: " in result.output
    assert "'com1' is a reserved file name on Windows" in result.output
    assert not list(other_store.glob("*.json"))


def test_a_json_claim_with_the_same_passage_twice_is_not_imported(
    sample_ws: Workspace, run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    data = json.loads(export_to(run, tmp_path / "first.json", "json").read_text("utf-8"))
    bad = next(c for c in data["claims"] if c["id"] == "no-iskanders-used")
    bad["appearances"].append(dict(bad["appearances"][0]))
    result = run(
        "import", "--store", str(other_store), "--format", "json",
        str(write_json(tmp_path / "twice.json", data)),
    )  # fmt: skip
    assert result.exit_code == 1
    assert (
        "not imported no-iskanders-used: appearances[2]: the same passage is listed twice"
        in result.output
    )
    assert "3 created, 0 replaced, 0 unchanged, 1 not imported" in result.output
    assert not (other_store / "no-iskanders-used.json").exists()


def test_a_w3c_annotation_with_the_same_target_twice_is_not_imported(
    empty_store: Path, run: Callable[..., Result], tmp_path: Path, azernews_url: str
) -> None:
    exact = "Sargsyan linked the failure to launch the Iskander missile"
    row = hypothesis_row(azernews_url, exact, id="t2")
    row["target"] = row["target"] * 2
    result = run("import", "--format", "w3c", str(write_json(tmp_path / "h.json", [row])))
    assert result.exit_code == 1
    assert "not imported annotation t2: appearances[1]: the same passage is listed twice" in (
        result.output
    )
    assert list((empty_store / "fixtures").glob("*.json")) == []


def test_w3c_round_trip_keeps_relations_and_question_names(
    run: Callable[..., Result], ws: Workspace, tmp_path: Path, other_store: Path
) -> None:
    exported = export_to(run, tmp_path / "claims.jsonld", "w3c")
    result = run("import", "--store", str(other_store), "--format", "w3c", str(exported))
    assert result.exit_code == 0, result.output
    imported = {c.id: c for c in Store(other_store).claims()}
    linked = [c for c in ws.store.claims() if c.relations or c.question]
    assert len(linked) >= 20
    for original in linked:
        assert imported[original.id].relations == original.relations, original.id
        assert imported[original.id].question == original.question, original.id


def test_a_w3c_relation_of_an_unknown_kind_is_reported_and_not_imported(
    run: Callable[..., Result], tmp_path: Path, other_store: Path
) -> None:
    exact = "Two missiles fired on Shusha"
    anno = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": "https://elsewhere.example/annotations/two-missiles",
        "type": "Annotation",
        "body": [
            {"type": "TextualBody", "purpose": "describing", "value": "Two missiles"},
            {
                "type": "SpecificResource",
                "source": "https://elsewhere.example/annotations/other-claim",
                "purpose": "linking",
                "relation": "agrees",
            },
        ],
        "target": {
            "source": f"https://d.org/documents/{DOC_BBC}",
            "selector": {"type": "TextQuoteSelector", "exact": exact},
        },
    }
    path = write_json(tmp_path / "one.jsonld", anno)
    result = run("import", "--store", str(other_store), "--format", "w3c", str(path))
    assert result.exit_code != 0
    assert "relation 'agrees' is not one of repeats, contradicts, supports" in result.output
    assert list(other_store.iterdir()) == []
