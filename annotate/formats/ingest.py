"""Bringing articles into a corpus: plain text and HTML files, or pasted text.

Every new document is normalised before it is stored, and the report says what was done:
decoded to UTF-8 (the encoding detected or declared), a byte-order mark removed, CRLF and lone
CR line ends made LF, form feeds made line ends, Unicode composed (NFC), a final newline added.
Text with NUL or other control characters is refused as binary. HTML is reduced to the article
text and its metadata (title, author, date, site name, canonical URL) by trafilatura, with
navigation, sidebars, cookie banners, comments and footers left out.

Adding is all or nothing: every input is prepared and checked first; if one is bad nothing is
written, and the error names each bad input. The documents already in the corpus are never
touched: normalisation is for new documents only.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from ..errors import AlreadyExists, InvalidInput, detail
from ..record.corpus import Corpus, CorpusDocument, sha256_text
from ..record.models import RESERVED_NAME, DocumentMeta, error_details
from ..record.slugs import ascii_words

MAX_BYTES = 5 * 1024 * 1024
"""The largest file accepted (5 MB): far above any article, far below a mistake."""

KINDS: tuple[str, ...] = ("auto", "text", "html")
META_FIELDS: tuple[str, ...] = (
    "title",
    "outlet",
    "author",
    "published",
    "url",
    "language",
    "notes",
)

# Encodings tried when a file is not UTF-8, best guess first (charset-normalizer picks among
# them). Latin-2 and cp1250 are left out on purpose: on short Western texts they win over
# cp1252 and turn "à" into "ŕ". `--encoding` names any other.
GUESSES = [
    "utf_8",
    "cp1252",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "gb18030",
    "big5",
    "shift_jis",
    "euc_kr",
]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (a .docx, .odt or .epub is one)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "an executable program"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I
)
_HTML_START = re.compile(r"\A\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _fail(origin: str, message: str, fld: str = "file") -> InvalidInput:
    return InvalidInput(f"{origin}: {message}", [detail(fld, message)])


def human_size(n: int) -> str:
    """A size for people: '5.0 MB', '100 KB', '12 bytes'."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"


def decode(
    raw: bytes, origin: str, encoding: str | None = None, declared: str | None = None
) -> tuple[str, list[str]]:
    """Bytes of a text file as a `str`, with notes on what was done.

    Order: a byte-order mark, else the `encoding` asked for, else UTF-8, else the charset an
    HTML page declares, else the best guess of charset-normalizer among `GUESSES`.

    :raise InvalidInput: empty, too large, binary (a known file type or NUL bytes), or no
        encoding decodes it.
    """
    if not raw:
        raise _fail(origin, "the file is empty")
    if len(raw) > MAX_BYTES:
        raise _fail(
            origin,
            f"the file is {human_size(len(raw))}; the limit is {human_size(MAX_BYTES)} "
            "per document",
        )
    for magic, what in _MAGIC:
        if raw.startswith(magic):
            raise _fail(origin, f"this is {what}, not text: save it as .txt or .html first")
    notes: list[str] = []
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(name)
            except UnicodeDecodeError as exc:
                raise _fail(
                    origin, f"it starts with a {name} byte-order mark but {exc.reason}"
                ) from None
            notes.append(f"removed a {name.upper()} byte-order mark")
            if name != "utf-8":
                notes.append(f"decoded from {name.upper()}")
            return text, notes
    if b"\x00" in raw:
        at = raw.index(b"\x00")
        raise _fail(origin, f"it contains NUL bytes (first at byte {at}): a binary file, not text")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _fail(origin, f"unknown encoding '{encoding}'", "encoding") from None
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _fail(
                origin, f"not valid {encoding}: {exc.reason} at byte {exc.start}", "encoding"
            ) from None
        if codecs.lookup(encoding).name != "utf-8":
            notes.append(f"decoded from {encoding} (as asked)")
        return text, notes
    try:
        return raw.decode("utf-8"), notes
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            text = raw.decode(declared)
            notes.append(f"decoded from {declared} (declared by the page)")
            return text, notes
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=GUESSES).best()
    if best is None:
        raise _fail(
            origin,
            "not text: not UTF-8, and no known encoding decodes it (a binary file?); if it "
            "is text, name its encoding (--encoding)",
        )
    notes.append(f"decoded from {best.encoding} (detected; name another with --encoding)")
    return str(best), notes


def normalise(text: str, origin: str, final_newline: bool = True) -> tuple[str, list[str]]:
    """Text as a new document stores it: LF line ends, NFC, a final newline (unless
    `final_newline` is false: a replacement follows the text it replaces).

    :raise InvalidInput: control characters (binary data) or nothing but whitespace.
    """
    notes: list[str] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append("removed a byte-order mark")
    crlf = text.count("\r\n")
    if crlf:
        text = text.replace("\r\n", "\n")
        notes.append(f"{crlf} CRLF line end{'s' if crlf != 1 else ''} made LF")
    cr = text.count("\r")
    if cr:
        text = text.replace("\r", "\n")
        notes.append(f"{cr} CR line end{'s' if cr != 1 else ''} made LF")
    feeds = len(re.findall(r"[\x0b\x0c]", text))
    if feeds:
        text = re.sub(r"[\x0b\x0c]", "\n", text)
        notes.append(f"{feeds} form feed/vertical tab made line ends")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _fail(
            origin,
            f"it contains the control character U+{ord(bad.group()):04X} (line {line}): "
            "a binary file, not text",
        )
    composed = unicodedata.normalize("NFC", text)
    if composed != text:
        notes.append(f"Unicode composed (NFC): {len(text) - len(composed)} characters fewer")
        text = composed
    if not text.strip():
        raise _fail(origin, "there is no text in it (only whitespace)")
    if final_newline and not text.endswith("\n"):
        text += "\n"
        notes.append("added a final newline")
    return text, notes


def looks_like_html(name: str | None, text: str) -> bool:
    """An .html/.htm/.xhtml file, or text that starts like an HTML page."""
    if name and name.lower().endswith((".html", ".htm", ".xhtml")):
        return True
    return bool(_HTML_START.match(text[:4096]))


def extract_html(
    html: str, origin: str, url: str | None = None
) -> tuple[str, dict[str, Any], list[str]]:
    """The article text of an HTML page (paragraphs separated by a blank line), the metadata
    found in it, and notes. Boilerplate is left out by trafilatura.

    :raise InvalidInput: when no article text is found.
    """
    import trafilatura

    found = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=False,
    )
    raw_text = getattr(found, "text", None) or ""
    paragraphs = [p.strip() for p in raw_text.split("\n") if p.strip()]
    if not paragraphs:
        raise _fail(
            origin,
            "no article text found in this HTML page (if the site builds its pages with "
            "JavaScript, save the page from the browser, or paste its text)",
        )
    meta: dict[str, Any] = {}
    for ours, theirs in (
        ("title", "title"),
        ("author", "author"),
        ("published", "date"),
        ("outlet", "sitename"),
        ("url", "url"),
    ):
        value = getattr(found, theirs, None)
        if isinstance(value, str) and value.strip():
            meta[ours] = value.strip()
    lang = _html_lang(html)
    if lang:
        meta["language"] = lang
    text = "\n\n".join(paragraphs)
    names = ", ".join(f"{k}" for k in meta) or "none"
    notes = [
        f"HTML: article text extracted with trafilatura {trafilatura.__version__} "
        f"({len(paragraphs)} paragraphs; navigation, comments and other boilerplate left out)",
        f"metadata found in the page: {names}",
    ]
    unread = text_below_depth(html, MAX_HTML_DEPTH)
    if unread:
        notes.append(
            f"warning: {unread:,} characters of text are nested deeper than {MAX_HTML_DEPTH} "
            "elements, where the HTML parser stops reading, and are not in the document: if "
            "they belong to the article, paste its text instead"
        )
    return text, meta, notes


MAX_HTML_DEPTH = 256
"""How deep libxml2 (under lxml and trafilatura) reads nested elements; below, it drops the
text without a word."""

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def text_below_depth(html: str, depth: int) -> int:
    """How many characters of non-blank text an HTML page holds below `depth` nested
    elements (void elements and unclosed ones counted as browsers nest them, roughly)."""
    from html.parser import HTMLParser

    class Counter(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.stack: list[str] = []
            self.deep = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in _VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass

        def handle_data(self, data: str) -> None:
            if len(self.stack) > depth and self.stack[-1] not in ("script", "style"):
                self.deep += len(data.strip())

    counter = Counter()
    counter.feed(html)
    counter.close()
    return counter.deep


def _html_lang(html: str) -> str | None:
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(html.encode("utf-8"))
    except Exception:  # noqa: BLE001 - lxml raises several kinds on broken pages
        return None
    lang = (
        root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    ).strip()
    if re.match(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", lang):
        primary, _, rest = lang.partition("-")
        return primary.lower() + (f"-{rest}" if rest else "")
    return None


def check_id(doc_id: str) -> str:
    """An id chosen by hand, if it is safe as a file name and in a URL.

    :raise InvalidInput: naming the rule it breaks.
    """
    if not _ID.match(doc_id):
        raise InvalidInput(
            f"id: '{doc_id}' is not a valid document id",
            [
                detail(
                    "id",
                    "use letters, digits, '.', '_' and '-' (at most 128), starting "
                    "with a letter or digit; no '/' or spaces",
                )
            ],
        )
    if RESERVED_NAME.match(doc_id) or doc_id.lower().endswith((".txt", ".json")):
        raise InvalidInput(
            f"id: '{doc_id}' cannot be a file name on every system",
            [detail("id", "reserved file name; choose another id")],
        )
    return doc_id


def unique_id(stem: str, taken: Callable[[str], bool]) -> str:
    """`stem`, or `stem-2`, `stem-3`... the first that is free."""
    stem = stem or "document"
    if RESERVED_NAME.match(stem):
        stem = f"{stem}-doc"
    candidate, n = stem, 1
    while taken(candidate):
        n += 1
        candidate = f"{stem[:60]}-{n}"
    return candidate


@dataclass
class Input:
    """One thing to add: the bytes of a file (or of pasted text) and what is known of it."""

    raw: bytes
    origin: str
    """How the report names it: the file name, or 'pasted text'."""
    name: str | None = None
    """The file name, when there is one (its extension tells HTML; its stem may be the id)."""
    fields: dict[str, Any] = field(default_factory=dict)
    """Metadata given by the user: it wins over what is found in the file."""
    id: str | None = None
    kind: str = "auto"
    """auto, text or html (anything else is refused by `read_text`, naming `format`)."""
    encoding: str | None = None


@dataclass
class Prepared:
    """A document ready to be written, and the report of how it was made."""

    id: str
    text: str
    meta: DocumentMeta
    kind: Literal["text", "html"]
    origin: str
    notes: list[str]
    explicit_id: bool = False

    def lines(self) -> list[str]:
        """The report for people."""
        out = [f"added {self.id}: {self.meta.title!r} ({self.kind}, {len(self.text)} characters)"]
        out += [f"  - {n}" for n in self.notes]
        return out


def _title_from_text(text: str, name: str | None) -> tuple[str | None, str]:
    for line in text.split("\n"):
        line = " ".join(line.split())
        if line:
            if len(line) <= 200:
                return line, "the first line"
            cut = line[:120].rsplit(" ", 1)[0]
            return f"{cut}…", "the start of the text"
    return None, ""


def read_text(
    item: Input, final_newline: bool = True
) -> tuple[str, dict[str, Any], bool, list[str]]:
    """The text a new document (or a replacement text) gets from an input: decoded,
    extracted when it is HTML, normalised. Also the metadata found, whether it was HTML, and
    the notes.

    :raise InvalidInput:
    """
    origin = item.origin
    if item.kind not in KINDS:
        raise _fail(origin, f"unknown format '{item.kind}' (auto, text or html)", "format")
    declared = None
    if item.kind != "text":
        m = _META_CHARSET.search(item.raw[:4096])
        declared = m.group(1).decode("ascii") if m else None
    text, notes = decode(item.raw, origin, encoding=item.encoding, declared=declared)
    html = item.kind == "html" or (item.kind == "auto" and looks_like_html(item.name, text))
    found: dict[str, Any] = {}
    if html:
        text, found, more = extract_html(text, origin, url=item.fields.get("url") or None)
        notes += more
    text, more = normalise(text, origin, final_newline)
    notes += more
    return text, found, html, notes


def option_hint(field: str, verb: str) -> str:
    """How to change a detail later, as a command line says it: `change it with --title`."""
    return f"{verb} it with --{field} or later"


Hint = Callable[[str, str], str]
"""How the report tells to change a detail (`field`, `verb`): the command's option, or the
web page's form (`web.documents`)."""


def prepare(item: Input, taken: Callable[[str], bool], hint: Hint = option_hint) -> Prepared:
    """Decode, normalise or extract, gather metadata and choose the id (writes nothing).

    :raise InvalidInput: naming the input and the problem.
    """
    origin = item.origin
    text, found, html, notes = read_text(item)
    given = {k: v for k, v in item.fields.items() if v not in (None, "")}
    unknown = sorted(set(given) - set(META_FIELDS))
    if unknown:
        raise _fail(origin, f"unknown metadata field {unknown[0]}", unknown[0])
    data = {**found, **given}
    if found.get("url") and "url" not in given and not re.match(r"^https?://", found["url"], re.I):
        del data["url"]
    if "title" not in data:
        title, where = _title_from_text(text, item.name)
        if title is None and item.name:
            title, where = item.name.rsplit(".", 1)[0], "the file name"
        if title:
            data["title"] = title
            notes.append(f"title taken from {where} ({hint('title', 'change')})")
    if "language" not in data:
        notes.append(f"language: en, the default ({hint('language', 'set')})")
    try:
        meta = DocumentMeta.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        d = details[0]
        raise InvalidInput(f"{origin}: {d['field']}: {d['message']}", details) from None
    if item.id:
        doc_id = check_id(item.id)
        if taken(doc_id):
            raise AlreadyExists(
                f"{origin}: a document '{doc_id}' exists already; choose another id",
                [detail("id", f"'{doc_id}' is taken")],
            )
    else:
        stem = ascii_words(meta.title, 8)
        if not stem and item.name:
            stem = ascii_words(item.name.rsplit(".", 1)[0], 8)
        doc_id = unique_id(stem, taken)
        if doc_id != (stem or "document"):
            notes.append(f"id {doc_id}: '{stem}' is taken")
    return Prepared(
        id=doc_id,
        text=text,
        meta=meta,
        kind="html" if html else "text",
        origin=origin,
        notes=notes,
        explicit_id=bool(item.id),
    )


DUPLICATE_SLACK = 64
"""How many characters of whitespace at the end a text may differ by and still be the same
text (the final newline adding adds; blank lines after the last paragraph)."""


def _same_text(corpus: Corpus, text: str) -> CorpusDocument | None:
    """A document of the corpus with the same text as `text` but for whitespace at the end:
    the shipped articles have no final newline, the one added to every new text made them
    look new. Only documents of a length that could match are read."""
    bare = text.rstrip()
    for doc in corpus.documents():
        if len(bare) <= doc.length <= len(bare) + DUPLICATE_SLACK and doc.text.rstrip() == bare:
            return doc
    return None


def prepare_all(
    corpus: Corpus,
    items: Iterable[Input],
    allow_duplicates: bool = False,
    hint: Hint = option_hint,
) -> list[Prepared]:
    """Prepare every input; ids are unique among them and against the corpus. A text that
    is already in the corpus (or twice in the batch), whitespace at the end aside, is refused
    unless `allow_duplicates`; the refusal names the document that has it.

    :raise InvalidInput: :raise AlreadyExists: listing every input that is bad (nothing is
        written).
    """
    ready: list[Prepared] = []
    problems: list[tuple[str, InvalidInput | AlreadyExists]] = []
    claimed: set[str] = set()
    titles = {d.id: d.meta.title for d in corpus.documents()}
    texts = {d.sha256: d.id for d in corpus.documents()}

    def taken(doc_id: str) -> bool:
        return doc_id.casefold() in claimed or corpus.taken(doc_id)

    for item in items:
        try:
            p = prepare(item, taken, hint)
        except (InvalidInput, AlreadyExists) as exc:
            problems.append((item.origin, exc))
            continue
        digest = sha256_text(p.text)
        bare = sha256_text(p.text.rstrip())
        if not allow_duplicates:
            same = texts.get(digest) or texts.get(bare)
            if same is None and (found := _same_text(corpus, p.text)) is not None:
                same = found.id
            if same is not None:
                title = titles.get(same)
                named = f"'{same}'" + (f" (“{title}”)" if title else "")
                msg = f"the same text is in the corpus already as {named}"
                dup = AlreadyExists(f"{p.origin}: {msg}", [detail("text", msg)])
                problems.append((p.origin, dup))
                continue
        texts.setdefault(digest, p.id)
        texts.setdefault(bare, p.id)
        titles.setdefault(p.id, p.meta.title)
        claimed.add(p.id.casefold())
        ready.append(p)
    if problems:
        details = [
            detail(d["field"], f"{origin}: {d['message']}")
            for origin, exc in problems
            for d in (exc.details or [detail("file", exc.message)])
        ]
        if len(problems) == 1:
            only = problems[0][1]
            raise type(only)(f"{only.message}; nothing was added", details)
        raise InvalidInput(
            f"{len(problems)} of the inputs cannot be added; nothing was added", details
        )
    return ready


def add_documents(
    corpus: Corpus,
    items: Iterable[Input],
    allow_duplicates: bool = False,
    hint: Hint = option_hint,
) -> list[tuple[Prepared, CorpusDocument]]:
    """Add every input as a new document, or none of them.

    A made-up id taken meanwhile (another writer) moves on to the next free one; an id chosen
    by hand is refused. If a write fails, the documents this call added are removed again.

    :raise InvalidInput: :raise AlreadyExists:
    """
    ready = prepare_all(corpus, items, allow_duplicates, hint)
    done: list[tuple[Prepared, CorpusDocument]] = []
    try:
        for p in ready:
            while True:
                try:
                    doc = corpus.add(p.id, p.text, p.meta)
                    break
                except AlreadyExists:
                    if p.explicit_id:
                        raise
                    stem = re.sub(r"-\d+$", "", p.id)
                    was, p.id = p.id, unique_id(stem, corpus.taken)
                    p.notes.append(f"id {p.id}: '{was}' was taken meanwhile")
            done.append((p, doc))
    except BaseException:
        for _, doc in done:
            corpus.remove_new(doc.id)
        raise
    return done
