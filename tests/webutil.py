"""Helpers for the web tests: the app over a workdir, a small HTML tree, store snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from annotate import create_app

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def make_app(workdir: Path, store: str = "fixtures", **config: Any) -> Any:
    """The web app over the copied corpus (`seeds`) and store, reviewing as `tester`;
    `config`: more settings."""
    return create_app(
        {
            "TESTING": True,
            "SEEDS": str(workdir / "seeds"),
            "STORE": str(workdir / store),
            "REVIEWER": "tester",
            "SECRET_KEY": "test",
            "FSYNC": False,
            **config,
        }
    )


class Node:
    """An element of a parsed page (or the document root, tag `#root`)."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def text(self) -> str:
        """The concatenated text content, exactly as parsed (character references decoded)."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        """This element and every element inside it, in document order."""
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, **attrs: str | bool) -> list[Node]:
        """Descendants (and self) with the tag and attributes (True: present; str: equal)."""
        out = []
        for n in self.iter():
            if tag is not None and n.tag != tag:
                continue
            ok = True
            for key, want in attrs.items():
                name = key.rstrip("_").replace("_", "-")
                have = n.attrs.get(name)
                if (want is True and have is None) or (want is not True and have != want):
                    ok = False
                    break
            if ok:
                out.append(n)
        return out

    def find(self, tag: str | None = None, **attrs: str | bool) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def one(self, tag: str | None = None, **attrs: str | bool) -> Node:
        """The only matching element (fails the test when there are none or several)."""
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]

    def by_id(self, ident: str) -> Node:
        return self.one(id=ident)

    def ancestors(self) -> Iterator[Node]:
        n = self.parent
        while n is not None:
            yield n
            n = n.parent


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: (v if v is not None else "") for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    """Parse a page or a fragment into a tree."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def page(resp: Any) -> Node:
    """The parsed body of an HTML response."""
    assert resp.mimetype == "text/html", resp.mimetype
    return parse(resp.get_data(as_text=True))


def csrf(client: Any, path: str = "/") -> str:
    """This client's session CSRF token, read from the hidden input or from `hx-headers`."""
    root = page(client.get(path))
    field = root.find("input", name="csrf_token")
    if field is not None:
        return str(field.get("value"))
    import json

    body = root.one("body")
    return str(json.loads(str(body.get("hx-headers")))["X-CSRF-Token"])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder (hidden ones too) with its bytes, but for the store's lock
    files (empty files in `.annotate-tmp/locks/`, made the first time a claim's lock is
    taken, even for a write then refused; no record is in them)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.parent.relative_to(folder).parts[:2] != (".annotate-tmp", "locks")
    }


def claim_files(folder: Path) -> list[str]:
    """The claim files of a store (not the trash, not temp files)."""
    return sorted(p.name for p in folder.glob("*.json"))


def seed_text(workdir: Path, doc: str) -> str:
    """A document's text exactly as stored (no newline translation)."""
    return (workdir / "seeds" / f"{doc}.txt").read_bytes().decode("utf-8")


def claim_rows(resp: Any) -> list[str]:
    """The claim ids of the claims list's rows, in order."""
    found = []

    def walk(node: Any) -> None:
        if not isinstance(node, str):
            if "data-claim-row" in node.attrs:
                found.append(node.attrs["data-claim-row"])
            for child in node.children:
                walk(child)

    walk(page(resp))
    return found
