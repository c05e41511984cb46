"""Bringing articles in from the command line: `annotate add`, `annotate doc set`,
`annotate doc replace`; normalisation, HTML extraction, ids, bad files, all-or-nothing."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotate.cli import cli
from annotate.formats.ingest import MAX_BYTES
from annotate.record.service import Workspace

from .conftest import DOC_BBC, ROOT, quote
from .webutil import csrf, snapshot

DATA = Path(__file__).parent / "data"
ARTICLE_HTML = DATA / "article.html"
Run = Callable[..., Result]

BOILERPLATE = (
    "We use cookies",
    "Accept all",
    "Subscribe for 1 manat",
    "Most read",
    "Ten recipes for Novruz",
    "Advertisement",
    "morning newsletter",
    "Comments (3)",
    "baku_reader",
    "Photos prove nothing",
    "Write a comment",
    "All rights reserved",
    "Privacy policy",
    "Share this article",
    "dataLayer",
)


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpus (`seeds/`) and store (`fixtures/`) as current directory."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "fixtures").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATE_SEEDS", raising=False)
    monkeypatch.delenv("ANNOTATE_STORE", raising=False)
    return tmp_path


def cmd(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def docs(folder: Path) -> list[str]:
    return sorted(p.stem for p in (folder / "seeds").glob("*.txt"))


# -- HTML ----------------------------------------------------------------------------------


def test_html_page_becomes_the_article_text_with_its_metadata(desk: Path) -> None:
    result = cmd("add", str(ARTICLE_HTML))
    assert result.exit_code == 0, result.output
    doc_id = "fragments-of-a-second-missile-shown-in-baku"
    assert docs(desk) == [doc_id]
    assert f"added {doc_id}" in result.output
    assert "trafilatura" in result.output and "boilerplate left out" in result.output

    text = (desk / "seeds" / f"{doc_id}.txt").read_text(encoding="utf-8")
    assert text.startswith("Fragments of a second missile shown in Baku\n\nThe Mine Action")
    assert "identification number 9M723" in text
    assert "or by whom.\n" in text and text.endswith("\n")
    for junk in BOILERPLATE:
        assert junk not in text, f"boilerplate kept: {junk!r}"

    side = (desk / "seeds" / f"{doc_id}.json").read_text(encoding="utf-8")
    meta = json.loads(side)
    assert meta == {
        "author": "Leyla Mammadova",
        "language": "en-GB",
        "notes": None,
        "outlet": "The Caspian Ledger",
        "published": "2021-04-02",
        "title": "Fragments of a second missile shown in Baku",
        "url": "https://caspian-ledger.example/world/2021/04/02/fragments-second-missile",
    }
    # Written like the shipped sidecars: same keys, sorted, two-space indent, final newline.
    shipped = (ROOT / "seeds" / f"{DOC_BBC}.json").read_text(encoding="utf-8")
    assert set(json.loads(shipped)) == set(meta)
    assert side == json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert cmd("check").exit_code == 0


def test_options_win_over_what_the_page_says(desk: Path) -> None:
    result = cmd(
        "add",
        str(ARTICLE_HTML),
        "--title",
        "Second missile",
        "--outlet",
        "Ledger",
        "--published",
        "2021-04-03",
        "--language",
        "az",
        "--notes",
        "Saved from the web by the desk.",
        "--id",
        "ledger-2021-04-02",
    )
    assert result.exit_code == 0, result.output
    meta = json.loads((desk / "seeds" / "ledger-2021-04-02.json").read_text(encoding="utf-8"))
    assert meta["title"] == "Second missile" and meta["outlet"] == "Ledger"
    assert meta["published"] == "2021-04-03" and meta["language"] == "az"
    assert meta["author"] == "Leyla Mammadova"  # not given: from the page
    assert meta["notes"] == "Saved from the web by the desk."


def test_html_is_recognised_by_content_on_stdin_and_forced_with_format(desk: Path) -> None:
    html = ARTICLE_HTML.read_bytes()
    assert cmd("add", "-", input=html).exit_code == 0
    assert docs(desk) == ["fragments-of-a-second-missile-shown-in-baku"]
    # --format text keeps the markup as text.
    write(desk, "page.txt", b"<p>Markup kept as it is.</p>\n")
    result = cmd("add", "page.txt", "--format", "text", "--id", "raw")
    assert result.exit_code == 0, result.output
    assert (desk / "seeds" / "raw.txt").read_text() == "<p>Markup kept as it is.</p>\n"


def test_html_without_an_article_is_refused(desk: Path) -> None:
    # A page that builds its text with JavaScript: nothing to extract from the HTML.
    write(
        desk,
        "empty.html",
        b'<!doctype html><html><head><title>Ledger</title><script src="/app.js"></script>'
        b'</head><body><div id="root"></div><script>render()</script></body></html>',
    )
    result = cmd("add", "empty.html")
    assert result.exit_code == 1
    assert "empty.html: no article text found in this HTML page" in result.output
    assert docs(desk) == []


def test_html_in_a_declared_legacy_charset(desk: Path) -> None:
    body = "<p>Министерство обороны России заявило, что комплексы «Искандер» не применялись.</p>"
    page = (
        '<html lang="ru"><head><meta charset="windows-1251"><title>Искандер</title></head>'
        f"<body><article>{body * 3}</article></body></html>"
    ).encode("cp1251")
    write(desk, "ru.html", page)
    result = cmd("add", "ru.html", "--id", "ru")
    assert result.exit_code == 0, result.output
    assert "decoded from windows-1251 (declared by the page)" in result.output
    text = (desk / "seeds" / "ru.txt").read_text(encoding="utf-8")
    assert "комплексы «Искандер» не применялись" in text
    assert json.loads((desk / "seeds" / "ru.json").read_text())["language"] == "ru"


def test_a_document_id_spells_a_cyrillic_title_in_ascii(desk: Path) -> None:
    write(desk, "ru.txt", "Министерство обороны России: «Искандер» не применялся.\n".encode())
    result = cmd("add", "ru.txt", "--title", "Искандер в Карабахе")
    assert result.exit_code == 0, result.output
    assert docs(desk) == ["iskander-v-karabakhe"]


# -- plain text ----------------------------------------------------------------------------


def test_text_is_normalised_and_the_report_says_how(desk: Path) -> None:
    raw = codecs.BOM_UTF8 + "Title\r\n\r\nCafe\u0301 line one.\rLine two.\x0cLast".encode()
    write(desk, "note.txt", raw)
    result = cmd("add", "note.txt")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "removed a UTF-8 byte-order mark" in out
    assert "2 CRLF line ends made LF" in out
    assert "1 CR line end made LF" in out
    assert "1 form feed/vertical tab made line ends" in out
    assert "Unicode composed (NFC)" in out
    assert "added a final newline" in out
    assert "title taken from the first line" in out
    assert "language: en, the default (set it with --language or later)" in out
    stored = (desk / "seeds" / "title.txt").read_bytes()
    assert stored == "Title\n\nCafé line one.\nLine two.\nLast\n".encode()


def test_clean_utf8_text_is_stored_byte_for_byte(desk: Path) -> None:
    text = "Ceasefire signed on 10 November.\n\nIt ended 44 days of war — “finally”.\n"
    write(desk, "clean.txt", text.encode())
    result = cmd("add", "clean.txt", "--title", "Ceasefire", "--language", "en")
    assert result.exit_code == 0
    assert (desk / "seeds" / "ceasefire.txt").read_bytes() == text.encode()
    first = result.output.splitlines()[0]
    assert first == f"added ceasefire: 'Ceasefire' (text, {len(text)} characters)"
    assert "  - " not in result.output  # nothing to normalise, nothing reported


@pytest.mark.parametrize(
    ("data", "encoding", "note"),
    [
        ("Le café était fermé à cause de la grève.\n", "cp1252", "decoded from cp1252 (detected"),
        ("Министерство обороны заявило об этом.\n" * 3, "cp1251", "decoded from cp1251 (detected"),
        ("Grüße aus Baku\n", "utf-16", "removed a UTF-16-LE byte-order mark"),
    ],
)
def test_legacy_encodings_are_detected(desk: Path, data: str, encoding: str, note: str) -> None:
    write(desk, "legacy.txt", data.encode(encoding))
    result = cmd("add", "legacy.txt", "--id", "legacy")
    assert result.exit_code == 0, result.output
    assert note in result.output
    assert (desk / "seeds" / "legacy.txt").read_text(encoding="utf-8") == data


def test_encoding_can_be_named(desk: Path) -> None:
    write(desk, "l2.txt", "Zażółć gęślą jaźń\n".encode("iso-8859-2"))
    result = cmd("add", "l2.txt", "--encoding", "iso-8859-2", "--id", "pl")
    assert result.exit_code == 0, result.output
    assert (desk / "seeds" / "pl.txt").read_text(encoding="utf-8") == "Zażółć gęślą jaźń\n"
    bad = cmd("add", "l2.txt", "--encoding", "klingon", "--id", "pl2")
    assert bad.exit_code == 1 and "unknown encoding 'klingon'" in bad.output


def test_pasted_text_from_stdin(desk: Path) -> None:
    pasted = "Aliyev: Azerbaijan did not record the use of Iskanders.\nMore text.\n"
    result = cmd("add", "-", "--outlet", "Pasted by hand", input=pasted.encode())
    assert result.exit_code == 0, result.output
    doc_id = "aliyev-azerbaijan-did-not-record-the-use"  # not ending on "of"
    assert docs(desk) == [doc_id]
    assert (desk / "seeds" / f"{doc_id}.txt").read_text() == pasted
    meta = json.loads((desk / "seeds" / f"{doc_id}.json").read_text())
    assert meta["outlet"] == "Pasted by hand"
    assert meta["title"] == "Aliyev: Azerbaijan did not record the use of Iskanders."


def test_dry_run_reports_and_writes_nothing(desk: Path) -> None:
    result = cmd("add", str(ARTICLE_HTML), "--dry-run")
    assert result.exit_code == 0
    assert "1 document(s) would be added (dry run, nothing written)" in result.output
    assert list((desk / "seeds").iterdir()) == []


# -- bad files -----------------------------------------------------------------------------


BAD = [
    ("empty.txt", b"", "the file is empty"),
    ("blank.txt", b" \n\t\r\n", "there is no text in it (only whitespace)"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), "this is a PNG image, not text"),
    ("report.txt", b"%PDF-1.7\n%\xe2\xe3", "this is a PDF document, not text"),
    ("nul.txt", b"text\x00with NUL", "it contains NUL bytes (first at byte 4)"),
    ("bell.txt", b"line one\nline\x07two", "control character U+0007 (line 2)"),
    ("noise.txt", bytes(range(128, 256)) * 3, "not text: not UTF-8, and no known encoding"),
    ("huge.txt", b"a" * (MAX_BYTES + 1), "the file is 5.0 MB; the limit is 5.0 MB"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_get_a_clear_error_and_add_nothing(
    desk: Path, name: str, data: bytes, message: str
) -> None:
    write(desk, name, data)
    before = snapshot(desk / "seeds")
    result = cmd("add", name)
    assert result.exit_code == 1
    assert f"{name}: " in result.output and message in result.output
    assert "nothing was added" in result.output
    assert snapshot(desk / "seeds") == before


def test_one_bad_file_among_good_ones_adds_nothing_and_names_each(desk: Path) -> None:
    write(desk, "good.txt", b"A good article.\n")
    write(desk, "empty.txt", b"")
    write(desk, "nul.txt", b"\x00\x01")
    result = cmd("add", "good.txt", "empty.txt", str(ARTICLE_HTML), "nul.txt")
    assert result.exit_code == 1
    assert "2 of the inputs cannot be added; nothing was added" in result.output
    assert "empty.txt: the file is empty" in result.output
    assert "nul.txt: it contains NUL bytes" in result.output
    assert list((desk / "seeds").iterdir()) == []


def test_missing_file_and_folder_are_usage_errors(desk: Path) -> None:
    assert cmd("add", "nowhere.txt").exit_code == 2
    assert cmd("add", "seeds").exit_code == 2
    assert cmd("add").exit_code == 2


def test_one_document_options_with_several_files_are_refused(desk: Path) -> None:
    write(desk, "a.txt", b"A\n")
    write(desk, "b.txt", b"B\n")
    for opt in (["--title", "T"], ["--id", "x"], ["--url", "https://example.org/"]):
        result = cmd("add", "a.txt", "b.txt", *opt)
        assert result.exit_code == 2
        assert "one document" in result.output
    assert list((desk / "seeds").iterdir()) == []


def test_bad_metadata_is_named_and_adds_nothing(desk: Path) -> None:
    write(desk, "a.txt", b"Article\n")
    for opt, field in (
        (["--published", "2021-02-30"], "published"),
        (["--url", "ftp://example.org/x"], "url"),
        (["--language", "English"], "language"),
    ):
        result = cmd("add", "a.txt", *opt)
        assert result.exit_code == 1, result.output
        assert f"a.txt: {field}:" in result.output
    assert list((desk / "seeds").iterdir()) == []


# -- ids -----------------------------------------------------------------------------------


def test_ids_are_made_from_the_title_and_made_unique(desk: Path) -> None:
    write(desk, "one.txt", b"Iskander fragments found in Shusha\n\nFirst version.\n")
    write(desk, "two.txt", b"Iskander fragments found in Shusha\n\nSecond version.\n")
    result = cmd("add", "one.txt", "two.txt")
    assert result.exit_code == 0, result.output
    assert (
        "id iskander-fragments-found-in-shusha-2: 'iskander-fragments-found-in-shusha' is taken"
        in (result.output)
    )
    write(desk, "three.txt", b"Iskander fragments found in Shusha\n\nThird version.\n")
    assert cmd("add", "three.txt").exit_code == 0
    assert docs(desk) == [
        "iskander-fragments-found-in-shusha",
        "iskander-fragments-found-in-shusha-2",
        "iskander-fragments-found-in-shusha-3",
    ]
    assert (
        (desk / "seeds" / "iskander-fragments-found-in-shusha-2.txt")
        .read_text()
        .endswith("Second version.\n")
    )


def test_a_chosen_id_that_is_taken_is_refused_also_in_another_case(desk: Path) -> None:
    write(desk, "a.txt", b"First\n")
    assert cmd("add", "a.txt", "--id", "Report-1").exit_code == 0
    before = snapshot(desk / "seeds")
    for taken in ("Report-1", "report-1"):
        result = cmd("add", "a.txt", "--id", taken)
        assert result.exit_code == 1
        assert f"a document '{taken}' exists already; choose another id" in result.output
    assert snapshot(desk / "seeds") == before


@pytest.mark.parametrize(
    "bad", ["../evil", "a/b", "/etc/passwd", ".hidden", "-flag", "with space", "con", "x.json"]
)
def test_path_like_and_unsafe_ids_are_refused(desk: Path, bad: str) -> None:
    write(desk, "a.txt", b"Article\n")
    result = cmd("add", "a.txt", "--id", bad)
    assert result.exit_code == 1, result.output
    assert "id" in result.output
    assert list((desk / "seeds").iterdir()) == []
    assert not (desk / "evil.txt").exists()


def test_path_like_file_names_and_titles_give_safe_ids(desk: Path) -> None:
    sub = desk / "in" / "deep"
    sub.mkdir(parents=True)
    write(sub, "..weird name!.txt", "../../«Ответ» / Reply\n\nBody.\n".encode())
    write(sub, "Только кириллица.txt", "Только кириллица\n".encode())
    result = cmd("add", str(sub / "..weird name!.txt"), str(sub / "Только кириллица.txt"))
    assert result.exit_code == 0, result.output
    # Cyrillic is spelt in ASCII (before, its letters were dropped: "reply", "document").
    assert docs(desk) == ["otvet-reply", "tol-ko-kirillitsa"]
    assert sorted(p.name for p in desk.iterdir()) == ["fixtures", "in", "seeds"]


def test_seeds_shipped_are_never_rewritten_by_adding(workdir: Path, run: Run) -> None:
    before = snapshot(workdir / "seeds")
    result = run("add", str(ARTICLE_HTML))
    assert result.exit_code == 0
    after = snapshot(workdir / "seeds")
    assert {k: v for k, v in after.items() if k in before} == before
    assert run("check").exit_code == 0


# -- doc set -------------------------------------------------------------------------------


def test_doc_set_changes_metadata_and_never_the_text(workdir: Path, run: Run) -> None:
    text_before = (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes()
    result = run("doc", "set", DOC_BBC, "--outlet", "BBC News Україна", "--author", "G. Ataneysan")
    assert result.exit_code == 0, result.output
    assert "outlet: BBC News Україна" in result.output
    meta = json.loads((workdir / "seeds" / f"{DOC_BBC}.json").read_text(encoding="utf-8"))
    assert meta["outlet"] == "BBC News Україна" and meta["author"] == "G. Ataneysan"
    assert meta["notes"].startswith("An English summary")  # untouched fields kept
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes() == text_before

    cleared = run("doc", "set", DOC_BBC, "--author", "")
    assert cleared.exit_code == 0
    assert json.loads((workdir / "seeds" / f"{DOC_BBC}.json").read_text())["author"] is None


def test_doc_set_refuses_bad_values_and_no_change(workdir: Path, run: Run) -> None:
    side = workdir / "seeds" / f"{DOC_BBC}.json"
    before = side.read_bytes()
    assert run("doc", "set", DOC_BBC, "--published", "yesterday").exit_code == 1
    assert run("doc", "set", DOC_BBC, "--title", "").exit_code == 1
    same = run("doc", "set", DOC_BBC, "--published", "2021-04-04")
    assert same.exit_code == 1 and "nothing to change" in same.output
    assert run("doc", "set", DOC_BBC).exit_code == 2
    missing = run("doc", "set", "no-such-doc", "--title", "X")
    assert missing.exit_code == 1 and "no document 'no-such-doc'" in missing.output
    assert side.read_bytes() == before


# -- doc replace ---------------------------------------------------------------------------


@pytest.fixture
def edited(workdir: Path) -> tuple[Path, str, str]:
    """The BBC article with one anchored quote deleted and text inserted at the start."""
    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    text = ws.corpus.get(DOC_BBC).text
    gone = "Two missiles fired on Shusha"
    claim = ws.create_claim(
        {
            "id": "two-missiles",
            "statement": "Two missiles were fired on Shusha.",
            "claimant": "ANAMA",
            "appearances": [quote(ws, DOC_BBC, gone)],
        },
        "tester",
    )
    assert claim.version == 1
    new = "Editor's note: corrected.\n\n" + text.replace(gone, "", 1)
    path = workdir / "new.txt"
    path.write_text(new, encoding="utf-8")
    return path, text, new


def test_doc_replace_shows_what_happens_first_and_dry_run_writes_nothing(
    workdir: Path, run: Run, edited: tuple[Path, str, str]
) -> None:
    path, old, _ = edited
    before = snapshot(workdir / "fixtures")
    result = run("doc", "replace", DOC_BBC, str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "orphaned        two-missiles appearances[0]" in result.output
    assert "moved           " in result.output
    assert "dry run: nothing written" in result.output
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8") == old
    assert snapshot(workdir / "fixtures") == before

    declined = run("doc", "replace", DOC_BBC, str(path), input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8") == old
    assert snapshot(workdir / "fixtures") == before


def test_doc_replace_saves_and_reanchors_keeping_orphans(
    workdir: Path, run: Run, edited: tuple[Path, str, str]
) -> None:
    path, _, new = edited
    result = run("doc", "replace", DOC_BBC, str(path), input="y\n")
    assert result.exit_code == 0, result.output
    assert "saved: " in result.output and "claim(s) re-anchored" in result.output
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8") == new

    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    lost = ws.claim("two-missiles")
    assert lost.version == 2 and lost.appearances[0].orphaned
    assert lost.appearances[0].exact == "Two missiles fired on Shusha"
    assert lost.history[-1].action == "reanchored"
    assert lost.history[-1].by == "annotate doc replace"
    # Every other claim on the document is placed on the new text.
    moved = [c for c in ws.claims(doc=DOC_BBC) if c.id != "two-missiles"]
    assert moved and all(c.history[-1].action == "reanchored" for c in moved)
    check = run("check")
    assert check.exit_code == 1  # the orphan is reported, never dropped
    assert "two-missiles" in check.output and "orphan" in check.output
    others = [line for line in check.output.splitlines() if "two-missiles" not in line]
    assert not any("orphan" in line for line in others[:-1])


def test_doc_replace_refuses_same_text_and_stdin_without_yes(workdir: Path, run: Run) -> None:
    same = workdir / "same.txt"
    same.write_bytes((workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes())
    result = run("doc", "replace", DOC_BBC, str(same), "--yes")
    assert result.exit_code == 1 and "nothing to replace" in result.output
    piped = run("doc", "replace", DOC_BBC, "-", input="Other text.\n")
    assert piped.exit_code == 2 and "--yes" in piped.output
    ok = run("doc", "replace", DOC_BBC, "-", "--yes", "--reviewer", "ed", input="Other text.\n")
    assert ok.exit_code == 0
    assert (workdir / "seeds" / f"{DOC_BBC}.txt").read_text() == "Other text.\n"


def test_corpus_writes_leave_no_temporary_files(desk: Path) -> None:
    write(desk, "a.txt", b"Article\n")
    assert cmd("add", "a.txt").exit_code == 0
    assert cmd("doc", "set", "article", "--outlet", "X").exit_code == 0
    assert sorted(p.name for p in (desk / "seeds").iterdir()) == ["article.json", "article.txt"]


def test_a_text_the_corpus_has_already_is_refused_unless_allowed(desk: Path) -> None:
    write(desk, "a.txt", b"Same article.\n")
    write(desk, "b.txt", b"Same article.\r\n")  # the same once normalised
    assert cmd("add", "a.txt").exit_code == 0
    again = cmd("add", "b.txt")
    assert again.exit_code == 1
    assert "b.txt: the same text is in the corpus already as 'same-article'" in again.output
    twice = cmd("add", str(ARTICLE_HTML), str(ARTICLE_HTML))
    assert twice.exit_code == 1 and "already as 'fragments-of" in twice.output
    assert docs(desk) == ["same-article"]
    allowed = cmd("add", "b.txt", "--allow-duplicates", "--title", "Copy")
    assert allowed.exit_code == 0
    assert docs(desk) == ["copy", "same-article"]


def test_a_shipped_article_added_again_is_refused_though_adding_ends_it_with_a_newline(
    workdir: Path, run: Run
) -> None:
    shipped = (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes()
    assert not shipped.endswith(b"\n")  # the file as shipped; `add` adds a final newline
    (workdir / "copy.txt").write_bytes(shipped + b"\n\n")
    before = sorted(p.name for p in (workdir / "seeds").iterdir())
    again = run("add", str(workdir / "copy.txt"))
    assert again.exit_code == 1
    assert f"the same text is in the corpus already as '{DOC_BBC}' (“" in again.output
    assert sorted(p.name for p in (workdir / "seeds").iterdir()) == before


def test_texts_that_differ_only_by_trailing_whitespace_are_one_text_in_a_batch(
    desk: Path,
) -> None:
    write(desk, "a.txt", b"One article.\n")
    write(desk, "b.txt", b"One article.\n\n\n")
    twice = cmd("add", "a.txt", "b.txt")
    assert twice.exit_code == 1 and "b.txt: the same text is in the corpus already" in twice.output
    assert docs(desk) == []


def test_an_executable_is_named_as_such(desk: Path) -> None:
    write(desk, "tool", b"\x7fELF\x02\x01\x01" + bytes(32))
    result = cmd("add", "tool")
    assert result.exit_code == 1
    assert "tool: this is an executable program, not text" in result.output


def test_concurrent_adds_of_the_same_title_never_overwrite(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from annotate.formats.ingest import Input, add_documents
    from annotate.record.corpus import Corpus

    (tmp_path / "seeds").mkdir()

    def add(n: int) -> str:
        # Each thread has its own Corpus, as separate server processes would.
        item = Input(raw=f"Same headline\n\nVersion {n}.\n".encode(), origin=f"t{n}")
        ((prepared, _),) = add_documents(Corpus(tmp_path / "seeds"), [item])
        return prepared.id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(add, range(16)))
    assert len(set(ids)) == 16
    texts = {p.read_text() for p in (tmp_path / "seeds").glob("*.txt")}
    assert texts == {f"Same headline\n\nVersion {n}.\n" for n in range(16)}
    assert len(list((tmp_path / "seeds").glob("*.json"))) == 16
    assert not list((tmp_path / "seeds").glob(".annotate-*"))


def test_reading_articles_is_bounded_so_that_reads_stay_free(
    app: Any, monkeypatch: pytest.MonkeyPatch, store: Path
) -> None:
    """While one article is being read (HTML extraction: seconds of CPU for a big page), a
    second add is answered at once with 503 and Retry-After, and reads go on being served:
    eight adds of a 1.9 MB page at once used to hold every server thread."""
    import threading

    import annotate.web.documents as documents

    reading, release = threading.Event(), threading.Event()
    real = documents.add_documents

    def slow(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "add_documents", slow)
    answers: list[int] = []
    first = threading.Thread(
        target=lambda: answers.append(
            app.test_client()
            .post("/api/documents", json={"text": "A first article.\n"})
            .status_code
        )
    )
    first.start()
    try:
        assert reading.wait(30)
        second = app.test_client().post("/api/documents", json={"text": "A second article.\n"})
        assert second.status_code == 503
        assert second.headers["Retry-After"] == "5"
        assert "being read right now" in second.get_json()["error"]
        assert app.test_client().get("/api/documents").status_code == 200  # reads go on
        reviewer = app.test_client()
        form = {"text": "Pasted while busy.", "title": "Busy", "csrf_token": csrf(reviewer)}
        page = reviewer.post("/documents", data=form)
        assert page.status_code == 503
        html = page.get_data(as_text=True)
        assert "being read right now" in html and "Pasted while busy." in html  # kept
    finally:
        release.set()
        first.join(30)
    assert answers == [201]
    # The slot is free again.
    assert app.test_client().post("/api/documents", json={"text": "A third.\n"}).status_code == 201


@pytest.mark.parametrize(("depth", "dropped"), [(252, False), (253, True)])
def test_text_nested_too_deep_for_the_html_parser_is_reported(
    app: Any, depth: int, dropped: bool
) -> None:
    """libxml2 (under trafilatura) stops reading below about 256 nested elements and drops
    that text without a word: the report says how much was not read."""
    intro = "<p>Intro paragraph about the missile, long enough for the extractor to keep.</p>"
    deep = (
        "<div>" * depth
        + "<p>"
        + "A deep sentence of the article. " * 10
        + "</p>"
        + "</div>" * depth
    )
    head = "<html><head><title>Deep page</title></head><body>"
    html = f"{head}<article>{intro}{deep}</article></body></html>"
    resp = app.test_client().post("/api/documents", json={"text": html, "format": "html"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    text = app.test_client().get(f"/api/documents/{body['id']}").get_json()["text"]
    warned = [n for n in body["report"] if "nested deeper than" in n]
    assert ("A deep sentence" not in text) == dropped
    assert bool(warned) == dropped
    if dropped:
        assert "characters of text" in warned[0] and "paste its text" in warned[0]
