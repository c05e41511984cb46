"""The document page after its article was edited: drifted anchors and orphans."""

from __future__ import annotations

import json
from pathlib import Path

from annotate.record.service import Workspace

from .webutil import csrf, make_app

DOC = "000_6c6c33166c2267e4"
CLAIM = "ru-mod-no-iskander-used"


def test_a_drifted_appearance_is_shown_where_its_quote_now_is(workdir: Path) -> None:
    seed = workdir / "seeds" / f"{DOC}.txt"
    seed.write_text("Editor's note: corrected on 5 April.\n\n" + seed.read_text("utf-8"), "utf-8")
    client = make_app(workdir).test_client()
    html = client.get(f"/documents/{DOC}").get_data(as_text=True)
    exact = "Russia’s Defense Ministry announced in February that no Iskander missiles were used"
    assert f'class="v-denied first last drifted" data-claim="{CLAIM}"' in html
    marked = html.split(f'class="v-denied first last drifted" data-claim="{CLAIM}"', 1)[1]
    assert marked.split(">", 1)[1].startswith(exact)
    assert "Run <code>annotate reanchor</code>" in html


def test_a_quote_edited_in_place_is_marked_as_edited_not_as_moved(workdir: Path) -> None:
    seed = workdir / "seeds" / f"{DOC}.txt"
    text = seed.read_text("utf-8")
    seed.write_text(text.replace("announced in February that", "announced in Februery that"))
    client = make_app(workdir).test_client()
    html = client.get(f"/documents/{DOC}").get_data(as_text=True)
    mark = html.split(f'id="a-{CLAIM}-0"', 1)[1].split(">", 1)[0]
    assert "drifted" in html.split(f'id="a-{CLAIM}-0"', 1)[1].split("data-claim", 1)[0]
    assert "(its text was edited since it was anchored)" in mark
    assert "moved since" not in mark


def test_an_orphan_is_listed_and_attached_again_to_a_selection(workdir: Path) -> None:
    path = workdir / "fixtures" / f"{CLAIM}.json"
    data = json.loads(path.read_text("utf-8"))
    data["appearances"][0]["orphaned"] = True
    path.write_text(json.dumps(data, indent=2), "utf-8")
    client = make_app(workdir).test_client()
    html = client.get(f"/documents/{DOC}?claim={CLAIM}").get_data(as_text=True)
    assert "Appearances that lost their place" in html
    assert 'name="field" value="appearances[0]"' in html

    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    text = ws.corpus.get(DOC).text
    exact = "Russia’s Defense Ministry announced in February"
    start = text.index(exact)
    resp = client.post(
        f"/claims/{CLAIM}/reattach",
        data={
            "csrf_token": csrf(client, f"/documents/{DOC}"),
            "version": str(data["version"]),
            "field": "appearances[0]",
            "doc": DOC,
            "start": str(start),
            "end": str(start + len(exact)),
            "exact": exact,
            "doc_context": DOC,
        },
    )
    assert resp.status_code == 303
    claim = ws.claim(CLAIM)
    assert claim.version == data["version"] + 1
    assert (claim.appearances[0].start, claim.appearances[0].orphaned) == (start, False)
    assert claim.history[-1].action == "reanchored"
