"""`annotate check`: clean on the shipped store, and every class of problem named plainly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from annotate.record.service import Workspace

Run = Callable[..., Result]


def errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of a json report (the shipped store has editorial warnings besides)."""
    return [p for p in report["problems"] if p["severity"] == "error"]


def test_the_shipped_store_is_clean(run: Run) -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    # Mechanically clean, and since its second review (issue 17) no editorial warnings.
    assert not [ln for ln in result.output.splitlines() if not ln.startswith("ok: ")]
    last = result.output.splitlines()[-1]
    assert last.startswith("ok: ") and last.endswith("no problems")
    assert int(last.split()[1]) >= 25


def test_one_changed_character_in_a_seed_fails_naming_claim_file_and_offsets(
    run: Run, workdir: Path, ws: Workspace
) -> None:
    claim = ws.store.claims()[0]
    anchor = claim.appearances[0]
    seed = workdir / "seeds" / f"{anchor.doc}.txt"
    text = seed.read_text(encoding="utf-8")
    i = anchor.start + 1
    seed.write_text(text[:i] + ("X" if text[i] != "X" else "Y") + text[i + 1 :], encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    line = next(ln for ln in result.output.splitlines() if f"claim {claim.id}:" in ln)
    assert f"fixtures/{claim.id}.json" in line
    assert f"offsets {anchor.start}-{anchor.end}" in line
    assert "[quote-mismatch]" in line


def edit_claim_file(ws: Workspace, edit: Callable[[dict[str, Any]], None]) -> str:
    claim = ws.store.claims()[0]
    path = ws.store.path_for(claim.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return claim.id


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        *parents, last = path.split(".")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        target[int(last) if last.isdigit() else last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "kind", "field", "words"),
    [
        (
            _set("appearances.0.exact", "not what the text says"),
            "schema",
            "appearances[0]",
            "must equal the length",
        ),
        (_set("appearances.0.start", 99_000), "schema", "appearances[0]", "greater than start"),
        (
            lambda d: d["appearances"][0].update(
                start=99_000, end=99_000 + len(d["appearances"][0]["exact"])
            ),
            "out-of-range",
            "appearances[0].exact",
            "beyond the end of the document",
        ),
        (
            _set("appearances.0.doc", "no_such_document"),
            "unknown-document",
            "appearances[0].doc",
            "not in the corpus",
        ),
        (
            lambda d: d.update(
                verdict="denied",
                basis=None,
                sources=[{**s, "stance": "supports"} for s in d["sources"]],
            ),
            "schema",
            "sources",
            "refutes the claim",
        ),
        (_set("sources", []), "schema", "sources", "at least one source"),
        (_set("statement", ""), "schema", "statement", "at least 1 character"),
        (_set("surprise", 1), "schema", "surprise", "Extra inputs"),
        (_set("appearances.0.orphaned", True), "orphaned", "appearances[0]", "orphaned"),
    ],
)
def test_each_class_of_problem_is_reported_with_file_claim_and_field(
    run: Run,
    ws: Workspace,
    edit: Callable[[dict[str, Any]], None],
    kind: str,
    field: str,
    words: str,
) -> None:
    claim_id = edit_claim_file(ws, edit)
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert not report["ok"]
    (problem,) = errors(report)
    assert problem["kind"] == kind
    assert problem["file"] == f"fixtures/{claim_id}.json"
    assert problem["claim"] == claim_id
    assert problem["field"] == field
    assert words in problem["message"]


def test_a_quote_mismatch_shows_expected_and_found_text(run: Run, ws: Workspace) -> None:
    def shift(data: dict[str, Any]) -> None:
        a = data["appearances"][0]
        a["start"] += 1
        a["end"] += 1

    claim_id = edit_claim_file(ws, shift)
    result = run("check")
    assert result.exit_code == 1
    assert f"fixtures/{claim_id}.json: claim {claim_id}: appearances[0].exact:" in result.output
    assert "expected '" in result.output and "the text there is '" in result.output


def test_unparseable_json_is_named_and_the_rest_still_checked(run: Run, workdir: Path) -> None:
    (workdir / "fixtures" / "half-written.json").write_text('{"id": "half', encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "fixtures/half-written.json: (file): not valid JSON" in result.output
    assert "1 problem(s)" in result.output


def test_duplicated_ids_and_misnamed_files_are_reported(run: Run, ws: Workspace) -> None:
    claim = ws.store.claims()[0]
    raw = ws.store.path_for(claim.id).read_text(encoding="utf-8")
    (ws.store.root / "copy-of-claim.json").write_text(raw, encoding="utf-8")
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    (problem,) = errors(json.loads(result.output))
    assert problem["kind"] == "filename"
    assert f"expected {claim.id}.json" in problem["message"]


def test_github_format_prints_workflow_annotations(run: Run, ws: Workspace) -> None:
    claim_id = edit_claim_file(ws, _set("appearances.0.doc", "gone"))
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"::error file=fixtures/{claim_id}.json,title=annotate check%3A ")
    assert f"::claim {claim_id}: appearances[0].doc: refers to document 'gone'" in first


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("check", "--format", "yaml").exit_code == 2
    assert run("check", "--store", "no/such/folder").exit_code == 2


def test_a_bad_metadata_file_is_reported(run: Run, workdir: Path) -> None:
    meta = next((workdir / "seeds").glob("*.json"))
    meta.write_text('{"title": "t", "published": "last Tuesday"}', encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert f"seeds/{meta.name}: published:" in result.output


MOD = "000_6c6c33166c2267e4"
TYPO = ("announced in February that", "announced in Februery that")


def typo_in_a_quote(workdir: Path) -> None:
    """The README's example: one character of one sentence, quoted in five places."""
    seed = workdir / "seeds" / f"{MOD}.txt"
    text = seed.read_text(encoding="utf-8")
    assert text.count(TYPO[0]) == 1
    seed.write_text(text.replace(*TYPO), encoding="utf-8")


def test_a_typo_inside_a_quote_is_reported_as_edited_in_place_not_as_a_move(
    run: Run, workdir: Path
) -> None:
    """It said "drifted: quote now found at 2930-3043 (score 1.00)": the same offsets, a
    perfect score for changed text."""
    typo_in_a_quote(workdir)
    result = run("check")
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if not ln.startswith("warning: ")]
    assert lines[-1] == "5 problem(s) in 73 claim(s)"
    (mine,) = [ln for ln in lines if ln.startswith("fixtures/ru-mod-no-iskander-used.json")]
    assert (
        "edited: the quoted text changed in place at 2930-3043: "
        "'…y announced in February that no Iskander …' -> "
        "'…y announced in Februery that no Iskander …' (1 edit, score 0.99); "
        "run `annotate reanchor` [quote-mismatch]"
    ) in mine
    assert "drifted" not in result.output and "score 1.00" not in result.output

    report = json.loads(run("check", "--format", "json").output)
    found = errors(report)
    assert len(found) == 5
    assert {p["drift"] for p in found} == {"edited"}
    assert all(p["score"] < 1 and (p["found_start"], p["found_end"]) == (2930, 3043) for p in found)

    github = run("check", "--format", "github").output
    errs = [ln for ln in github.splitlines() if ln.startswith("::error ")]
    assert len(errs) == 5
    assert all("edited: the quoted text changed in place at 2930-3043" in ln for ln in errs)


def test_a_moved_quote_is_still_reported_as_moved(run: Run, workdir: Path) -> None:
    seed = workdir / "seeds" / f"{MOD}.txt"
    seed.write_text("Editor's note: corrected.\n\n" + seed.read_text(encoding="utf-8"))
    report = json.loads(run("check", "--format", "json").output)
    found = errors(report)
    assert found and {p["drift"] for p in found} == {"moved"}
    text = run("check").output
    assert "drifted: quote now found at" in text and "edited:" not in text


@pytest.mark.parametrize(
    ("was", "edited", "said"),
    [
        # A letter doubled, and one of a doubled pair taken out: the part shown is cut where
        # the two versions differ, not one letter further (the common end overlaps the start).
        (
            TYPO[0],
            "announced in Februaary that",
            "at 2930-3044: '… announced in February that no Iskander …' -> "
            "'… announced in Februaary that no Iskander …' (1 edit, score 0.99)",
        ),
        (
            TYPO[0],
            "anounced in February that",
            "at 2930-3042: '… Defense Ministry announced in February t…' -> "
            "'… Defense Ministry anounced in February t…' (1 edit, score 0.99)",
        ),
        (
            TYPO[0],
            "announced in Fobruery that",
            "at 2930-3043: '…istry announced in February that no Iskander …' -> "
            "'…istry announced in Fobruery that no Iskander …' (2 edits, score 0.99)",
        ),
        # The first change 21 characters into the quote: the part shown starts at its second
        # character, so it is cut there too (`…` before it), not shown as if the quote began
        # with "ussia".
        (
            "Defense Ministry announced",
            "Defense Minixtry announced",
            "at 2930-3043: '…ussia’s Defense Ministry announced in Feb…' -> "
            "'…ussia’s Defense Minixtry announced in Feb…' (1 edit, score 0.99)",
        ),
    ],
)
def test_a_quote_edited_in_place_shows_just_what_changed_and_how_much(
    run: Run, workdir: Path, was: str, edited: str, said: str
) -> None:
    seed = workdir / "seeds" / f"{MOD}.txt"
    text = seed.read_text(encoding="utf-8")
    assert text.count(was) == 1, was
    seed.write_text(text.replace(was, edited), encoding="utf-8")
    mine = [
        ln
        for ln in run("check").output.splitlines()
        if ln.startswith("fixtures/ru-mod-no-iskander")
    ]
    assert any(f"edited: the quoted text changed in place {said}" in ln for ln in mine)


def _link(ws: Workspace, claim_id: str, **fields: Any) -> Path:
    """Give a claim file relations or a question as a git merge could leave it."""
    path = ws.store.path_for(claim_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(fields)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_a_relation_to_a_claim_not_in_the_record_is_an_error(run: Run, ws: Workspace) -> None:
    _link(ws, "kremlin-iskanders-not-used", relations=[{"kind": "repeats", "claim": "gone-away"}])
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    (problem,) = errors(json.loads(result.output))
    assert problem["kind"] == "relation"
    assert problem["claim"] == "kremlin-iskanders-not-used"
    assert problem["field"] == "relations[0].claim"
    assert "repeats 'gone-away', which is not in the record" in problem["message"]
    text = run("check")
    assert text.exit_code == 1
    assert (
        "claim kremlin-iskanders-not-used: relations[0].claim: repeats 'gone-away'" in text.output
    )


def test_a_question_answered_both_ways_or_named_twice_is_an_error(run: Run, ws: Workspace) -> None:
    # The shipped record: Peskov and Putin both repeat the MoD's denial, which names the
    # question. Peskov now also contradicts Putin, and names the question again.
    mod, peskov, putin = (
        "ru-mod-no-iskander-used",
        "kremlin-iskanders-not-used",
        "putin-said-iskanders-not-used",
    )
    assert ws.claim(mod).question is not None
    _link(
        ws,
        peskov,
        relations=[{"kind": "repeats", "claim": mod}, {"kind": "contradicts", "claim": putin}],
        question={"name": "Iskanders used?", "answer": "no"},
    )
    result = run("check", "--format", "json")
    assert result.exit_code == 1
    found = errors(json.loads(result.output))
    assert [p["kind"] for p in found] == ["question", "question"]
    assert {p["claim"] for p in found} == {peskov}  # the first claim naming it
    assert {p["field"] for p in found} == {"question"}
    assert "one question named by 2 claims" in found[0]["message"]
    assert f"{peskov} ({'Iskanders used?'!r})" in found[0]["message"]
    assert "are linked as giving" in found[1]["message"]
    assert "but their other links give them" in found[1]["message"]
    assert all("question 'Iskanders used?' (claims " in p["message"] for p in found)
    assert all(mod in p["message"] for p in found)
    text = run("check")
    assert f"claim {peskov}: question: question 'Iskanders used?'" in text.output
    # A relation to a claim whose file is there but broken is not reported dangling.
    ws.store.path_for(putin).write_text("{", encoding="utf-8")
    kinds = {p["kind"] for p in errors(json.loads(run("check", "--format", "json").output))}
    assert "relation" not in kinds
