"""Several reviewers per claim (DESIGN.md, "Several reviewers"), through the API, the
exports and the command line: each reviewer's own review, agreement settling the final
verdict, adjudication, a change after the decision reopening the claim, blind review."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annotate import create_app
from annotate.cli import cli

from .conftest import DOC_AZERNEWS, DOC_BBC
from .test_team import login
from .webutil import make_app, page

REVIEWERS = {"alice": "alice-pass-1", "bob": "bob-pass-12", "adam": "adam-pass-1"}
ROLES = {"alice": "reviewer", "bob": "reviewer", "adam": "adjudicator"}
SUPPORT = "Former Armenian President Serzh Sargsyan has admitted"


@pytest.fixture(scope="session")
def reviewers_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two reviewers and an adjudicator, made once through `annotate user add`."""
    path = tmp_path_factory.mktemp("reviewers") / "users.json"
    for name, role in ROLES.items():
        result = CliRunner().invoke(
            cli,
            ["user", "add", name, "--role", role, "--password-stdin", "--users", str(path)],
            input=REVIEWERS[name],
        )
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def desk(workdir: Path, reviewers_template: Path, tmp_path: Path) -> Any:
    """The app in team mode (2 agreeing reviews settle a claim, blind) over a copy."""
    users = tmp_path / "conf" / "users.json"
    users.parent.mkdir(mode=0o700)
    shutil.copy2(reviewers_template, users)
    return create_app(
        {
            "TESTING": True,
            "SEEDS": str(workdir / "seeds"),
            "STORE": str(workdir / "fixtures"),
            "FSYNC": False,
            "USERS_FILE": str(users),
            # A desk that publishes (a claimreview export needs a public URL).
            "BASE_URL": "http://factcheck.example.org",
        }
    )


def client_of(app: Any, name: str) -> Any:
    """A client logged in as `name` through the login page."""
    client = app.test_client()
    resp = login(client, name, REVIEWERS[name])
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return client


@pytest.fixture
def alice(desk: Any) -> Any:
    return client_of(desk, "alice")


@pytest.fixture
def bob(desk: Any) -> Any:
    return client_of(desk, "bob")


@pytest.fixture
def adam(desk: Any) -> Any:
    return client_of(desk, "adam")


def new_claim(client: Any, workdir: Path) -> dict[str, Any]:
    text = (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8")
    exact = "Two missiles fired on Shusha"
    start = text.index(exact)
    resp = client.post(
        "/api/claims",
        json={
            "statement": "Two missiles were fired on Shusha",
            "claimant": "ANAMA",
            "appearances": [
                {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
            ],
        },
    )
    assert resp.status_code == 201, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def support(workdir: Path) -> dict[str, Any]:
    text = (workdir / "seeds" / f"{DOC_AZERNEWS}.txt").read_text(encoding="utf-8")
    start = text.index(SUPPORT)
    return {
        "stance": "supports",
        "quote": {
            "doc": DOC_AZERNEWS,
            "start": start,
            "end": start + len(SUPPORT),
            "exact": SUPPORT,
        },
    }


REFUTE = {"stance": "refutes", "url": "https://example.org/refutation", "title": "Refutation"}


def review(
    client: Any, cid: str, version: int, verdict: str, sources: list[Any], why: str = ""
) -> Any:
    return client.put(
        f"/api/claims/{cid}/review",
        json={"verdict": verdict, "rationale": why or f"I find it {verdict}.", "sources": sources},
        headers={"If-Match": f'"{version}"'},
    )


def get(client: Any, cid: str) -> dict[str, Any]:
    resp = client.get(f"/api/claims/{cid}")
    assert resp.status_code == 200
    body: dict[str, Any] = resp.get_json()
    return body


# -- local mode: one review is the final verdict -------------------------------------------


def test_in_local_mode_a_review_is_the_final_verdict(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    resp = review(client, cid, 1, "confirmed", [support(workdir)], "Sargsyan said so.")
    assert resp.status_code == 200, resp.get_json()
    claim = resp.get_json()
    assert claim["review_status"] == "agreed"
    assert (claim["verdict"], claim["reviewer"], claim["rationale"]) == (
        "confirmed",
        "tester",
        "Sargsyan said so.",
    )
    assert claim["reviews"]["tester"]["verdict"] == "confirmed"
    history = client.get(f"/api/claims/{cid}/history").get_json()
    assert history[-1]["action"] == "reviewed"
    assert "reviews.tester" in history[-1]["changes"]
    assert history[-1]["changes"]["verdict"] == [None, "confirmed"]


def test_a_review_follows_the_verdict_source_rules_and_changes_nothing_when_refused(
    workdir: Path,
) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    resp = review(client, cid, 1, "confirmed", [REFUTE])
    assert resp.status_code == 422
    assert resp.get_json()["details"][0]["field"] == "sources"
    assert "supports" in resp.get_json()["details"][0]["message"]
    assert get(client, cid)["version"] == 1
    assert "reviews" not in get(client, cid) or get(client, cid)["reviews"] == {}


def test_a_review_needs_if_match_and_a_stale_one_is_refused(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    body = {"verdict": "denied", "rationale": "No.", "sources": [REFUTE]}
    assert client.put(f"/api/claims/{cid}/review", json=body).status_code == 428
    client.patch(f"/api/claims/{cid}", json={"claimant": "ANAMA (I.)"}, headers={"If-Match": '"1"'})
    resp = review(client, cid, 1, "denied", [REFUTE])
    assert resp.status_code == 412
    assert resp.get_json()["current"]["version"] == 2
    assert get(client, cid)["review_status"] == "unreviewed"


def test_withdrawing_a_review_one_does_not_have_is_refused(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    resp = client.delete(f"/api/claims/{cid}/review", headers={"If-Match": '"1"'})
    assert resp.status_code == 422
    assert "no review" in resp.get_json()["error"]


def test_the_same_review_again_changes_nothing_and_is_answered_200(workdir: Path) -> None:
    # PUT is idempotent (RFC 9110 §9.2.2): the same review twice is one review, one version.
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    first = review(client, cid, 1, "denied", [REFUTE], "No.")
    assert first.status_code == 200
    resp = review(client, cid, 2, "denied", [REFUTE], "No.")
    assert resp.status_code == 200
    assert resp.headers["ETag"] == '"2"'
    assert resp.get_json() == first.get_json()


# -- team mode: two reviews, blind, adjudication --------------------------------------------


def test_two_agreeing_reviews_settle_the_final_verdict_by_themselves(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    first = review(alice, cid, 1, "confirmed", [support(workdir)], "Sargsyan admitted it.")
    assert first.status_code == 200, first.get_json()
    mine = first.get_json()
    assert mine["review_status"] == "in review"
    assert "verdict" not in mine  # one review of two: no final verdict yet

    second = review(bob, cid, 2, "confirmed", [support(workdir)], "He said so.")
    assert second.status_code == 200, second.get_json()
    settled = second.get_json()
    assert settled["review_status"] == "agreed"
    assert settled["verdict"] == "confirmed"
    assert settled["reviewer"] == "alice, bob"
    assert settled["rationale"] == "alice: Sargsyan admitted it.\n\nbob: He said so."
    assert len(settled["sources"]) == 1  # the same passage cited by both: once
    assert sorted(settled["reviews"]) == ["alice", "bob"]

    published = json.loads(adam.get("/api/export?format=claimreview").get_data(as_text=True))
    assert any(r["url"].endswith(cid) and r["reviewRating"]["alternateName"] for r in published)


def test_blind_review_hides_the_others_until_one_has_reviewed(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    assert review(alice, cid, 1, "denied", [REFUTE], "Nobody else saw it.").status_code == 200

    seen = get(bob, cid)
    assert seen["blind"] is True
    assert "reviews" not in seen or seen["reviews"] == {}
    assert "review_status" not in seen and "verdict" not in seen
    history = bob.get(f"/api/claims/{cid}/history").get_json()
    assert history[-1]["action"] == "reviewed"
    assert history[-1]["changes"] == {} and "denied" not in json.dumps(history)
    listed = [c for c in bob.get("/api/claims").get_json() if c["id"] == cid]
    assert listed[0]["blind"] is True and "denied" not in json.dumps(listed)
    export = json.loads(bob.get("/api/export?format=json").get_data(as_text=True))
    exported = next(c for c in export["claims"] if c["id"] == cid)
    assert exported.get("reviews", {}) == {} and "Nobody else saw it" not in json.dumps(export)
    w3c = bob.get("/api/export?format=w3c").get_data(as_text=True)
    assert "Nobody else saw it" not in w3c
    csv_export = bob.get("/api/export?format=csv").get_data(as_text=True)
    assert "alice: denied" not in csv_export
    queue = bob.get("/api/queue").get_json()
    assert next(q for q in queue if q["id"] == cid) == {
        "id": cid,
        "version": 2,
        "statement": "Two missiles were fired on Shusha",
        "claimant": "ANAMA",
        "documents": [DOC_BBC],
        "blind": True,
    }
    assert cid not in [q["id"] for q in bob.get("/api/queue?status=in review").get_json()]
    assert bob.get("/api/agreement").status_code == 403

    # A stale write does not show bob what he may not see either.
    stale = review(bob, cid, 1, "denied", [REFUTE])
    assert stale.status_code == 412
    assert stale.get_json()["current"]["blind"] is True
    assert "Nobody else saw it" not in stale.get_data(as_text=True)

    # The adjudicator sees everything; the reviewer who reviewed sees the others.
    assert get(adam, cid)["reviews"]["alice"]["rationale"] == "Nobody else saw it."
    assert get(alice, cid)["review_status"] == "in review"

    # Once bob has given his own, he sees alice's.
    after = review(bob, cid, 2, "confirmed", [support(workdir)], "He said so.").get_json()
    assert after["reviews"]["alice"]["verdict"] == "denied"
    assert after["review_status"] == "disagreement"


def test_an_edit_inside_a_hidden_rationale_stays_hidden_from_a_blind_reviewer(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    """A small edit of a long rationale is recorded as the words that changed
    (`rationale@N`): that key is the final verdict's too, and hidden as it is."""
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE])
    why = "Sargsyan's own words support it; " * 12 + "the wording stays cautious."
    final = {"verdict": "confirmed", "rationale": why, "sources": [support(workdir)]}
    assert (
        adam.put(f"/api/claims/{cid}/verdict", json=final, headers={"If-Match": '"2"'}).status_code
        == 200
    )
    final["rationale"] = why.replace("cautious", "guarded")
    assert (
        adam.put(f"/api/claims/{cid}/verdict", json=final, headers={"If-Match": '"3"'}).status_code
        == 200
    )
    whole = adam.get(f"/api/claims/{cid}/history").get_json()
    assert whole[-1]["changes"] == {f"rationale@{why.index('cautious')}": ["cautious.", "guarded."]}
    seen = bob.get(f"/api/claims/{cid}/history").get_json()
    assert seen[-1]["changes"] == {} and "guarded" not in json.dumps(seen)
    assert "cautious" not in json.dumps(seen)


def test_a_disagreement_is_settled_by_an_adjudicator_only(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE])
    review(bob, cid, 2, "confirmed", [support(workdir)])
    assert [q["id"] for q in adam.get("/api/queue?status=disagreement").get_json()] == [cid]
    final = {
        "verdict": "disputed",
        "rationale": "One source each way.",
        "sources": [support(workdir), REFUTE],
    }
    refused = bob.put(f"/api/claims/{cid}/verdict", json=final, headers={"If-Match": '"3"'})
    assert refused.status_code == 403
    assert get(adam, cid)["version"] == 3
    decided = adam.put(f"/api/claims/{cid}/verdict", json=final, headers={"If-Match": '"3"'})
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    assert (body["review_status"], body["verdict"], body["reviewer"]) == (
        "decided",
        "disputed",
        "adam",
    )
    assert sorted(body["reviews"]) == ["alice", "bob"]  # the reviews stay beside it
    assert adam.get("/api/queue?status=disagreement").get_json() == []
    assert [q["id"] for q in adam.get("/api/queue?status=decided").get_json()].count(cid) == 1


def test_a_review_changed_after_the_decision_reopens_the_claim_and_says_so(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE])
    agreed = review(bob, cid, 2, "denied", [REFUTE]).get_json()
    assert agreed["review_status"] == "agreed"
    changed = review(alice, cid, 3, "confirmed", [support(workdir)]).get_json()
    assert changed["review_status"] == "disagreement"
    assert changed["verdict"] == "denied"  # the final verdict stands until it is set again
    assert (
        changed["reopened"] == "alice's review (confirmed) differs from the final verdict (denied)"
    )
    withdrawn = bob.delete(f"/api/claims/{cid}/review", headers={"If-Match": '"4"'})
    assert withdrawn.status_code == 200
    body = withdrawn.get_json()
    assert body["blind"] is True  # bob has no review of it now
    assert get(adam, cid)["reopened"] == "bob withdrew their review after the final verdict"
    assert [q["id"] for q in adam.get("/api/queue?status=disagreement").get_json()] == [cid]


def test_the_queue_lists_the_claims_waiting_for_a_reviewer(
    workdir: Path, alice: Any, bob: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    waiting = [q["id"] for q in bob.get("/api/queue?reviewer=bob").get_json()]
    assert cid in waiting
    review(bob, cid, 1, "denied", [REFUTE])
    assert cid not in [q["id"] for q in bob.get("/api/queue?reviewer=bob").get_json()]
    assert cid in [q["id"] for q in bob.get("/api/queue?reviewer=alice").get_json()]
    bad = bob.get("/api/queue?status=finished")
    assert bad.status_code == 422 and bad.get_json()["details"][0]["field"] == "status"


# -- exports and check -------------------------------------------------------------------------


def test_w3c_gives_each_review_its_own_annotation_and_imports_them_back(
    workdir: Path, alice: Any, bob: Any, adam: Any, tmp_path: Path
) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE], "Refuted.")
    review(bob, cid, 2, "confirmed", [support(workdir)], "He said so.")
    data = json.loads(adam.get("/api/export?format=w3c").get_data(as_text=True))
    items = data["first"]["items"]
    claim_anno = next(a for a in items if a["id"].endswith(f"/{cid}"))
    reviews = [a for a in items if a.get("target") == claim_anno["id"]]
    assert [(a["creator"]["name"], a["motivation"]) for a in reviews] == [
        ("alice", "assessing"),
        ("bob", "assessing"),
    ]
    assert [b["value"] for b in reviews[0]["body"] if b.get("purpose") == "classifying"] == [
        "denied"
    ]
    # Into an empty store: the reviews come back as the claim's.
    exported = tmp_path / "w3c.jsonld"
    exported.write_text(json.dumps(data), encoding="utf-8")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(exported),
            "--format",
            "w3c",
            "--seeds",
            str(workdir / "seeds"),
            "--store",
            str(fresh),
        ],
    )
    assert result.exit_code == 0, result.output
    stored = json.loads((fresh / f"{cid}.json").read_text(encoding="utf-8"))
    assert {n: r["verdict"] for n, r in stored["reviews"].items()} == {
        "alice": "denied",
        "bob": "confirmed",
    }


def test_json_export_carries_every_review_and_round_trips(
    workdir: Path, alice: Any, bob: Any, adam: Any, tmp_path: Path
) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE], "Refuted.")
    export = json.loads(adam.get("/api/export?format=json").get_data(as_text=True))
    claim = next(c for c in export["claims"] if c["id"] == cid)
    assert claim["reviews"]["alice"]["rationale"] == "Refuted."
    assert claim["review_status"] == "in review"
    blind = json.loads(bob.get("/api/export?format=json").get_data(as_text=True))
    blind_claim = next(c for c in blind["claims"] if c["id"] == cid)
    assert blind_claim.get("reviews", {}) == {}


def test_check_validates_the_quotes_of_reviews_like_any_anchor(
    workdir: Path, alice: Any, run: Any
) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "confirmed", [support(workdir)])
    path = workdir / "fixtures" / f"{cid}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    # The same length, other words: only the corpus can tell.
    data["reviews"]["alice"]["sources"][0]["quote"]["exact"] = "x" * len(SUPPORT)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert f"{cid}" in result.output
    assert "reviews.alice.sources[0].quote.exact" in result.output
    assert "quote-mismatch" in result.output or "drifted" in result.output


# -- the desk's settings file --------------------------------------------------------------------


def test_the_settings_file_sets_the_required_reviews(workdir: Path, tmp_path: Path) -> None:
    settings = tmp_path / "annotate.toml"
    settings.write_text("[reviews]\nrequired = 2\n", encoding="utf-8")
    client = make_app(workdir, SETTINGS_FILE=str(settings)).test_client()
    cid = new_claim(client, workdir)["id"]
    assert review(client, cid, 1, "denied", [REFUTE]).get_json()["review_status"] == "in review"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[reviews]\nrequired = 0\n", "reviews.required"),
        ("[reviews]\nrequierd = 2\n", "reviews.requierd"),
        ("[reviews]\nblind = 'yes'\n", "reviews.blind"),
        ("[reviews\n", "not valid TOML"),
    ],
)
def test_a_bad_settings_file_is_a_usage_error_naming_the_setting(
    workdir: Path, run: Any, text: str, message: str
) -> None:
    (workdir / "bad.toml").write_text(text, encoding="utf-8")
    result = run("check", "--settings", "bad.toml")
    assert result.exit_code == 2
    assert "bad.toml" in result.output and message in result.output


def test_a_missing_settings_file_given_by_name_is_a_usage_error(run: Any) -> None:
    result = run("check", "--settings", "nowhere.toml")
    assert result.exit_code == 2 and "nowhere.toml" in result.output


def test_agreement_page_data_for_one_document_needs_a_known_document(
    workdir: Path, adam: Any
) -> None:
    resp = adam.get("/api/agreement?doc=nope")
    assert resp.status_code == 404


def test_the_reviews_of_a_claim_keep_their_quote_when_documents_are_edited(
    workdir: Path, run: Any
) -> None:
    """Re-anchoring moves a review's quotes like any other anchor."""
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    assert review(client, cid, 1, "confirmed", [support(workdir)]).status_code == 200
    path = workdir / "seeds" / f"{DOC_AZERNEWS}.txt"
    path.write_text("A new first line.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert run("reanchor").exit_code == 0
    assert run("check").exit_code == 0, run("check").output
    stored = json.loads((workdir / "fixtures" / f"{cid}.json").read_text(encoding="utf-8"))
    anchor = stored["reviews"]["tester"]["sources"][0]["quote"]
    text = path.read_text(encoding="utf-8")
    assert text[anchor["start"] : anchor["end"]] == SUPPORT


# -- agreement, through the command line, the API and the page ------------------------------------


def three_claims(workdir: Path, alice: Any, bob: Any) -> list[str]:
    """Three new claims: both confirm the first, both deny the second, they differ on the
    third (alice confirms, bob denies)."""
    text = (workdir / "seeds" / f"{DOC_BBC}.txt").read_text(encoding="utf-8")
    ids = []
    for exact in ("Two missiles fired on Shusha", "Iskander", "Shusha"):
        start = text.index(exact)
        resp = alice.post(
            "/api/claims",
            json={
                "statement": f"A claim about {exact}",
                "claimant": "ANAMA",
                "appearances": [
                    {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
                ],
            },
        )
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    votes = [("confirmed", "confirmed"), ("denied", "denied"), ("confirmed", "denied")]
    for cid, (a, b) in zip(ids, votes, strict=True):
        for n, (client, verdict) in enumerate(((alice, a), (bob, b))):
            sources = [support(workdir)] if verdict == "confirmed" else [REFUTE]
            assert review(client, cid, 1 + n, verdict, sources).status_code == 200
    return ids


def test_agreement_is_the_same_from_the_command_line_the_api_and_the_page(
    empty_store: Path, workdir: Path, alice: Any, bob: Any, adam: Any, run: Any
) -> None:
    # An empty store: the shipped claims carry their own reviewers' reviews.
    three_claims(workdir, alice, bob)
    result = run("agreement", "--format", "json")
    assert result.exit_code == 0, result.output
    cli_figures = json.loads(result.output)
    # By hand: the pair agrees on 2 of 3 claims (p_o = 2/3); alice confirms 2 and denies 1,
    # bob the other way round, so chance agreement p_e = 2/3 * 1/3 + 1/3 * 2/3 = 4/9 and
    # Cohen's kappa = (2/3 - 4/9) / (1 - 4/9) = 2/5.
    (pair,) = cli_figures["pairs"]
    assert (pair["a"], pair["b"], pair["claims"]) == ("alice", "bob", 3)
    assert pair["cohen_kappa"] == pytest.approx(0.4)
    assert pair["confusion"]["confirmed"] == {"confirmed": 1, "denied": 1, "disputed": 0}
    assert cli_figures["overall"]["claims"] == 3
    assert list(cli_figures["documents"]) == [DOC_BBC]
    api = adam.get("/api/agreement")
    assert api.status_code == 200 and api.get_json() == cli_figures
    text = run("agreement")
    assert text.exit_code == 0 and "alice and bob: 3 shared claims" in text.output
    page = adam.get("/agreement").get_data(as_text=True)
    assert 'data-pair="alice/bob"' in page and "0.400" in page
    one = adam.get(f"/agreement?doc={DOC_BBC}")
    assert one.status_code == 200 and "This document" in one.get_data(as_text=True)
    assert bob.get("/agreement").status_code == 403


def test_agreement_of_an_unknown_document_is_a_usage_error(run: Any) -> None:
    result = run("agreement", "--doc", "nope")
    assert result.exit_code == 2 and "no document 'nope'" in result.output


def test_the_queue_page_shows_each_reviewer_their_own_work(
    workdir: Path, alice: Any, bob: Any, adam: Any
) -> None:
    ids = three_claims(workdir, alice, bob)
    mine = page(bob.get("/queue"))
    assert mine.one("a", data_queue="waiting") is not None
    adjudicator = page(adam.get("/queue"))
    current = adjudicator.one("ul", class_="queue-counts").one("a", aria_current="page")
    assert current.get("data-queue") == "disagreement" and "1" in current.text()
    rows = [r.get("data-claim") for r in adjudicator.find_all("tr", data_claim=True)]
    assert rows == [ids[2]]
    # The panel shows both reviews side by side, the differing ones marked, and the
    # adjudicator's form.
    panel = page(adam.get(f"/documents/{DOC_BBC}?claim={ids[2]}"))
    reviews = panel.find_all("article", class_="review differs")
    assert sorted(r.get("data-reviewer") for r in reviews) == ["alice", "bob"]
    assert panel.one("form", action=f"/claims/{ids[2]}/adjudicate") is not None
    # A claim both agreed on settled itself.
    agreed = page(adam.get(f"/documents/{DOC_BBC}?claim={ids[0]}"))
    assert agreed.one(data_review_status=True).get("data-review-status") == "agreed"


def test_a_blind_reviewer_sees_no_verdict_in_the_pages(workdir: Path, alice: Any, bob: Any) -> None:
    cid = new_claim(alice, workdir)["id"]
    review(alice, cid, 1, "denied", [REFUTE], "Nobody else saw it.")
    html = bob.get(f"/documents/{DOC_BBC}?claim={cid}").get_data(as_text=True)
    doc = page(bob.get(f"/documents/{DOC_BBC}?claim={cid}"))
    assert doc.one(data_blind=True) is not None
    assert "Nobody else saw it" not in html and 'data-final="denied"' not in html
    marks = doc.find_all("mark", data_claim=cid)
    assert marks and {m.get("data-verdict") for m in marks} == {"unreviewed"}
    claims_list = bob.get("/claims?verdict=denied").get_data(as_text=True)
    assert cid not in claims_list
    assert page(alice.get(f"/documents/{DOC_BBC}?claim={cid}")).find(data_blind=True) is None


def test_a_review_through_the_page_form_keeps_what_was_typed_when_refused(
    workdir: Path, alice: Any
) -> None:
    from .webutil import csrf

    cid = new_claim(alice, workdir)["id"]
    resp = alice.post(
        f"/claims/{cid}/review",
        data={
            "verdict": "confirmed",
            "rationale": "My careful reasoning.",
            "version": "1",
            "csrf_token": csrf(alice),
        },
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "My careful reasoning." in html and "supports" in html
    assert get(alice, cid)["version"] == 1


def cite_urls(client: Any, cid: str, version: int, stances: list[str]) -> None:
    """Cite one web page per stance through the panel's form."""
    from .webutil import csrf

    for n, stance in enumerate(stances):
        resp = client.post(
            f"/claims/{cid}/sources",
            data={
                "stance": stance,
                "kind": "url",
                "url": f"https://example.org/{stance}",
                "title": f"A page that {stance}",
                "version": str(version + n),
                "csrf_token": csrf(client),
            },
        )
        assert resp.status_code == 303, resp.get_data(as_text=True)


def test_a_refused_review_form_keeps_the_sources_it_ticked(workdir: Path, alice: Any) -> None:
    from .webutil import csrf

    cid = new_claim(alice, workdir)["id"]
    cite_urls(alice, cid, 1, ["supports", "refutes"])
    # Confirmed citing only the refuting source: refused, the form as it was sent.
    resp = alice.post(
        f"/claims/{cid}/review",
        data={
            "verdict": "confirmed",
            "rationale": "Cites the wrong one.",
            "source": "1",
            "version": "3",
            "csrf_token": csrf(alice),
        },
    )
    assert resp.status_code == 422
    form = page(resp).one("form", data_form="review")
    boxes = {
        b.get("value"): b.get("checked") is not None for b in form.find_all("input", name="source")
    }
    assert boxes == {"0": False, "1": True}
    assert get(alice, cid)["version"] == 3


def test_a_stale_review_form_under_blind_review_shows_no_other_review(
    workdir: Path, alice: Any, bob: Any
) -> None:
    from .webutil import csrf

    cid = new_claim(alice, workdir)["id"]
    cite_urls(alice, cid, 1, ["supports"])
    assert review(alice, cid, 2, "denied", [REFUTE], "Nobody else saw it.").status_code == 200
    resp = bob.post(
        f"/claims/{cid}/review",
        data={
            "verdict": "confirmed",
            "rationale": "Bob's own reading.",
            "source": "0",
            "version": "2",
            "csrf_token": csrf(bob),
        },
    )
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Nobody else saw it" not in html and 'data-reviewer="alice"' not in html
    assert "Bob&#39;s own reading." in html or "Bob's own reading." in html
    assert "Blind review hides the other reviews" in page(resp).by_id("conflict").text()


def test_check_refuses_an_agreement_the_reviews_do_not_make(
    workdir: Path, run: Any, tmp_path: Path
) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    assert review(client, cid, 1, "denied", [REFUTE]).get_json()["review_status"] == "agreed"
    assert run("check").exit_code == 0
    # The desk now requires two reviews: one no longer makes an agreement.
    (workdir / "annotate.toml").write_text("[reviews]\nrequired = 2\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert "settled" in result.output and "requires 2" in result.output
    # A hand edit that makes the review disagree with the final verdict.
    (workdir / "annotate.toml").unlink()
    path = workdir / "fixtures" / f"{cid}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["reviews"]["tester"]["verdict"] = "disputed"
    data["reviews"]["tester"]["sources"] = [
        REFUTE,
        {"stance": "supports", "url": "https://example.org/s", "title": "S"},
    ]
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1 and "tester says otherwise" in result.output


def test_a_basis_with_a_verdict_other_than_disputed_is_a_422_naming_basis(workdir: Path) -> None:
    client = make_app(workdir).test_client()
    cid = new_claim(client, workdir)["id"]
    body = {
        "verdict": "denied",
        "basis": "unsubstantiated",
        "rationale": "No.",
        "sources": [REFUTE],
    }
    for kind in ("review", "verdict"):
        resp = client.put(f"/api/claims/{cid}/{kind}", json=body, headers={"If-Match": '"1"'})
        assert resp.status_code == 422
        assert resp.get_json()["details"][0]["field"] == "basis"
    # A claim with no merge conflict says nothing of conflicts.
    claim = get(client, cid)
    assert claim["version"] == 1 and "conflicts" not in claim


def test_the_panel_history_names_a_changed_review_by_its_reviewer(
    workdir: Path, alice: Any, bob: Any
) -> None:
    """A review changed part by part (`reviews.a.b.verdict`, a reviewer's name may hold a
    dot) is listed in the panel's history as that reviewer's review, not as its parts."""
    cid = new_claim(alice, workdir)["id"]
    assert review(alice, cid, 1, "denied", [REFUTE]).status_code == 200
    assert review(alice, cid, 2, "disputed", [REFUTE, support(workdir)]).status_code == 200
    history = alice.get(f"/api/claims/{cid}/history").get_json()
    assert set(history[-1]["changes"]) >= {"reviews.alice.verdict", "reviews.alice.sources[1]"}
    html = alice.get(f"/claims/{cid}", follow_redirects=True).get_data(as_text=True)
    assert "History (" in html
    listed = re.findall(r'<small class="muted">([^<]*)</small>', html)
    assert [line for line in listed if line.startswith("reviews.")] == ["reviews.alice"] * 2
    assert not any("verdict" in line or "sources" in line for line in listed)


def test_questions_hide_the_verdicts_blind_review_hides(
    workdir: Path, alice: Any, adam: Any
) -> None:
    shipped = "ru-mod-no-iskander-used"
    other = "iskander-missile-fired-at-shusha"
    version = get(adam, other)["version"]
    linked = adam.patch(
        f"/api/claims/{other}",
        json={"relations": [{"kind": "contradicts", "claim": shipped}]},
        headers={"If-Match": f'"{version}"'},
    )
    assert linked.status_code == 200, linked.get_json()
    (seen,) = [q for q in adam.get("/api/questions").get_json() if shipped in str(q)]
    assert {a["verdict"] for a in seen["answers"]} - {None}
    assert not any(a.get("blind") for a in seen["answers"])
    (blind,) = [q for q in alice.get("/api/questions").get_json() if shipped in str(q)]
    assert len(blind["answers"]) == len(seen["answers"]) > 2
    assert {a["verdict"] for a in blind["answers"]} == {None}
    assert all(a["blind"] is True for a in blind["answers"])
    assert alice.get(f"/api/questions/{blind['id']}").get_json() == blind
