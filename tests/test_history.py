"""A history entry records what changed, not everything again (docs/record.md "History"):
read through the API, undone step by step from the entries alone, and the claim file stays
the one canonical encoding however long its history (the store encodes each entry once)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from annotate.record.reviews import source_input
from annotate.record.service import Workspace

from .conftest import quote
from .webutil import make_app

CID = "aliyev-february-no-iskander-use-detected"  # a final verdict citing several sources
DOC = "000_6c6c33166c2267e4"


def verdict_body(claim: dict[str, Any], **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {k: claim[k] for k in ("verdict", "rationale", "basis") if k in claim}
    body["sources"] = [
        {k: v for k, v in s.items() if k != "quote"}
        | (
            {"quote": {k: s["quote"][k] for k in ("doc", "start", "end", "exact")}}
            if "quote" in s
            else {}
        )
        for s in claim["sources"]
    ]
    body.update(change)
    return {k: v for k, v in body.items() if v is not None}


def put(client: Any, claim: dict[str, Any], **change: Any) -> dict[str, Any]:
    resp = client.put(
        f"/api/claims/{claim['id']}/verdict",
        json=verdict_body(claim, **change),
        headers={"If-Match": f'"{claim["version"]}"'},
    )
    assert resp.status_code == 200, resp.get_json()
    got: dict[str, Any] = resp.get_json()
    return got


def last_entry(client: Any, cid: str) -> dict[str, Any]:
    entry: dict[str, Any] = client.get(f"/api/claims/{cid}/history").get_json()[-1]
    return entry


def test_citing_one_more_source_records_that_source_not_every_source_twice(
    client: Any, ws: Workspace
) -> None:
    before = client.get(f"/api/claims/{CID}").get_json()
    n = len(before["sources"])
    assert n >= 3
    extra = {"stance": "context", "quote": quote(ws, DOC, "Iskander")}
    after = put(client, before, sources=[*verdict_body(before)["sources"], extra])
    changes = last_entry(client, CID)["changes"]
    assert set(changes) == {f"sources[{n}]", "reviewer"}
    old, new = changes[f"sources[{n}]"]
    assert old is None and new["quote"]["exact"] == "Iskander"
    assert new == after["sources"][n]
    # Taking one back records that one, at its place in the list it was in.
    dropped = verdict_body(after)["sources"]
    del dropped[1]
    put(client, client.get(f"/api/claims/{CID}").get_json(), sources=dropped)
    changes = last_entry(client, CID)["changes"]
    assert list(changes) == ["sources[1]"]
    assert changes["sources[1]"] == [after["sources"][1], None]
    # The panel names the field, not its elements.
    page = client.get(f"/claims/{CID}", follow_redirects=True).get_data(as_text=True)
    assert "History (" in page
    assert "sources[1]" not in page


def test_a_small_edit_of_a_long_rationale_records_the_words_that_changed(client: Any) -> None:
    before = client.get(f"/api/claims/{CID}").get_json()
    assert len(before["rationale"]) > 300
    text = before["rationale"].replace("Two outlets", "Three outlets", 1)
    put(client, before, rationale=text)
    changes = last_entry(client, CID)["changes"]
    (key,) = [k for k in changes if k.startswith("rationale")]
    at = int(key.split("@")[1])
    was, now = changes[key]
    assert (was, now) == ("Two", "Three")
    assert before["rationale"][at : at + len(was)] == "Two"
    # A short text is recorded whole, as it always was.
    short = client.post(
        "/api/claims",
        json={
            "statement": "The ministry said no Iskander was used.",
            "claimant": "Russian Ministry of Defence",
            "appearances": [
                {k: before["appearances"][0][k] for k in ("doc", "start", "end", "exact")}
            ],
        },
    ).get_json()
    client.patch(
        f"/api/claims/{short['id']}",
        json={"statement": "The ministry said no Iskander missile was used."},
        headers={"If-Match": '"1"'},
    )
    assert last_entry(client, short["id"])["changes"] == {
        "statement": [
            "The ministry said no Iskander was used.",
            "The ministry said no Iskander missile was used.",
        ]
    }


def undo(state: dict[str, Any], changes: dict[str, list[Any]]) -> dict[str, Any]:
    """The claim before a change, from the claim after it and the change's entry alone, by
    the rules docs/record.md gives (this test's own reading of them)."""
    state = copy.deepcopy(state)
    lists: dict[str, dict[str, list[tuple[int, Any, Any]]]] = {}
    for key, (old, new) in changes.items():
        if "@" in key:
            field, at = key.split("@")
            text, i = state[field], int(at)
            assert text[i : i + len(new)] == new
            state[field] = text[:i] + old + text[i + len(new) :]
        elif key.endswith("]") and "." not in key:
            field, index = key[:-1].split("[")
            lists.setdefault(field, {}).setdefault("items", []).append((int(index), old, new))
        elif old is None:
            state.pop(key, None)
        else:
            state[key] = old
    for field, parts in lists.items():
        items = state[field]
        for i, old, new in parts["items"]:
            if old is not None and new is not None:
                items[i] = old  # changed in place, at its index in the new list
        for i, old, _new in sorted(parts["items"], key=lambda p: -p[0]):
            if old is None:
                del items[i]  # added, at its index in the new list
        for i, old, new in sorted(parts["items"], key=lambda p: p[0]):
            if new is None:
                items.insert(i, old)  # removed, at its index in the old list
    return state


FIELDS = ("statement", "claimant", "verdict", "rationale", "sources", "basis", "reviewer")


def test_every_version_can_be_read_back_from_the_history_alone(client: Any, ws: Workspace) -> None:
    versions = [client.get(f"/api/claims/{CID}").get_json()]

    def now() -> dict[str, Any]:
        got: dict[str, Any] = client.get(f"/api/claims/{CID}").get_json()
        versions.append(got)
        return got

    c = versions[0]
    cited = verdict_body(c)["sources"]
    extra = {"stance": "context", "quote": quote(ws, DOC, "Iskander")}
    put(client, c, sources=[extra, *cited])  # one added in front
    put(client, now(), sources=[cited[2], cited[0], extra])  # reordered, one gone, one moved
    c = now()
    put(client, c, rationale=c["rationale"].replace("February", "Feb.") + " More.")
    put(
        client,
        now(),
        verdict="denied",
        basis=None,
        sources=[cited[0]] + [s | {"stance": "refutes"} for s in cited[1:2]],
    )
    put(client, now(), rationale="Short now.")
    c = now()
    client.patch(
        f"/api/claims/{CID}",
        json={"statement": c["statement"] + " (as reported)", "claimant": "Ilham Aliyev (I.)"},
        headers={"If-Match": f'"{c["version"]}"'},
    )
    final = now()
    history = client.get(f"/api/claims/{CID}/history").get_json()
    state = {k: final[k] for k in FIELDS if k in final}
    for version in reversed(versions[:-1]):
        entry = next(h for h in history if h["version"] == version["version"] + 1)
        state = undo(state, entry["changes"])
        assert state == {k: version[k] for k in FIELDS if k in version}, version["version"]


def canonical(path: Path) -> bytes:
    data = json.loads(path.read_bytes())
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def test_a_claim_file_is_canonical_after_many_saves_from_two_servers(
    workdir: Path, ws: Workspace
) -> None:
    """Each server encodes a history entry once and reuses it; whoever saved last, the
    file is the one canonical encoding of the claim (and the other server reads it)."""
    one, two = make_app(workdir).test_client(), make_app(workdir).test_client()
    extra = source_input(ws.claim(CID).sources[0])
    for turn in range(12):
        client = (one, two)[turn % 3 == 0]
        c = client.get(f"/api/claims/{CID}").get_json()
        sources = verdict_body(c)["sources"]
        change: dict[str, Any] = {"rationale": c["rationale"] + f" {turn}."}
        if turn % 2:
            change["sources"] = sources[:-1] if len(sources) > 2 else [*sources, extra]
        put(client, c, **change)
        path = workdir / "fixtures" / f"{CID}.json"
        assert path.read_bytes() == canonical(path), turn
    assert one.get(f"/api/claims/{CID}").get_json() == two.get(f"/api/claims/{CID}").get_json()


def test_a_stale_verdict_form_compares_with_the_sources_as_the_reviewer_saw_them(
    client: Any, ws: Workspace
) -> None:
    """The conflict view rebuilds the sources the reviewer saw at their version by undoing
    the history's entries (one source added since: `sources[n]`, not the whole list)."""
    from .test_pages import HX, panel_of, verdict_form
    from .webutil import csrf, parse

    seen = client.get(f"/api/claims/{CID}").get_json()
    n = len(seen["sources"])
    extra = {"stance": "context", "quote": quote(ws, DOC, "Iskander")}
    put(client, seen, sources=[*verdict_body(seen)["sources"], extra])
    form = verdict_form(csrf(client), seen["version"], "disputed", "Mine, typed meanwhile.")
    resp = client.post(f"/claims/{CID}/verdict", data=form, headers=HX)
    assert resp.status_code == 409
    rows = {
        r.get("data-field"): r
        for r in panel_of(parse(resp.get_data(as_text=True)))
        .by_id("compare")
        .find_all("tr", data_field=True)
    }
    sources = rows["sources"]
    assert sources.get("data-differs") == "true"
    theirs = sources.one("td", data_side="theirs").text()
    yours = sources.one("td", data_side="yours").text()

    def cited(text: str) -> int:
        return sum(text.count(f"{stance}: “") for stance in ("supports", "refutes", "context"))

    assert cited(theirs) == n + 1 and cited(yours) == n
    assert "“Iskander”" in theirs and "“Iskander”" not in yours
