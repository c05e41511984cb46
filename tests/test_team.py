"""Team mode through HTTP and the command line: users, login, roles, tokens, limits, hosts."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from annotate import create_app
from annotate.cli import cli
from annotate.record.accounts import FailureLimiter

from .conftest import DOC_BBC, ROOT
from .webutil import csrf, page, snapshot

EXISTING = "iskander-fragments-found-in-shusha"
LONE = "aliyev-baku-awaits-answer-from-yerevan"  # no other claim links to it: it can go
PASSWORDS = {"alice": "alice-pass-1", "vera": "vera-pass-1", "adam": "adam-pass-1"}
ROLES = {"alice": "reviewer", "vera": "viewer", "adam": "adjudicator"}
Run = Callable[..., Result]


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "users.json"


@pytest.fixture
def user_cli(users_file: Path) -> Run:
    """`annotate user ...` on the test's users file."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, ["user", *args, "--users", str(users_file)], input=input, catch_exceptions=False
        )

    return invoke


@pytest.fixture(scope="session")
def team_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three users made once through `annotate user add` (scrypt is slow on purpose)."""
    path = tmp_path_factory.mktemp("team") / "users.json"
    for name, role in ROLES.items():
        result = CliRunner().invoke(
            cli,
            ["user", "add", name, "--role", role, "--password-stdin", "--users", str(path)],
            input=PASSWORDS[name],
        )
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def team(team_template: Path, users_file: Path) -> Path:
    """A copy of the three users in this test's own users file."""
    users_file.parent.mkdir(mode=0o700)
    shutil.copy2(team_template, users_file)
    return users_file


def team_app(workdir: Path, users_file: Path, **config: Any) -> Any:
    return create_app(
        {
            "TESTING": True,
            "SEEDS": str(workdir / "seeds"),
            "STORE": str(workdir / "fixtures"),
            "REVIEWER": "nobody",
            "FSYNC": False,
            "USERS_FILE": str(users_file),
            **config,
        }
    )


@pytest.fixture
def tapp(workdir: Path, team: Path) -> Any:
    return team_app(workdir, team)


@pytest.fixture
def anon(tapp: Any) -> Any:
    return tapp.test_client()


def login(client: Any, name: str, password: str | None = None, next: str = "/") -> Any:
    token = csrf(client, "/login")
    return client.post(
        "/login",
        data={
            "name": name,
            "password": PASSWORDS[name] if password is None else password,
            "csrf_token": token,
            "next": next,
        },
    )


def logged_in(tapp: Any, name: str) -> Any:
    client = tapp.test_client()
    resp = login(client, name)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return client


def make_token(user_cli: Run, name: str) -> str:
    result = user_cli("token", name, "--label", "script")
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def claim_body(ws_text: str, exact: str = "Two missiles fired on Shusha") -> dict[str, Any]:
    start = ws_text.index(exact)
    return {
        "statement": "Two missiles hit Shusha",
        "claimant": "ANAMA",
        "appearances": [
            {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
        ],
    }


@pytest.fixture
def bbc(workdir: Path) -> str:
    return (workdir / "seeds" / f"{DOC_BBC}.txt").read_bytes().decode("utf-8")


# -- the users file and `annotate user` ----------------------------------------------------


def test_users_are_kept_hashed_in_a_private_file(team: Path, user_cli: Run) -> None:
    raw = team.read_text(encoding="utf-8")
    for password in PASSWORDS.values():
        assert password not in raw
    data = json.loads(raw)
    assert data["users"]["alice"]["password"].startswith("scrypt:")
    assert stat.S_IMODE(team.stat().st_mode) == 0o600
    listed = user_cli("list").output
    assert [line.split()[:2] for line in listed.splitlines()] == [
        ["adam", "adjudicator"],
        ["alice", "reviewer"],
        ["vera", "viewer"],
    ]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["add", "bad name", "--role", "viewer"], "long-enough", "not valid"),
        (["add", "../x", "--role", "viewer"], "long-enough", "not valid"),
        (["add", "bob", "--role", "viewer"], "short", "at least 8"),
        (["add", "bob", "--role", "viewer"], "tab\there-too", "control characters"),
        (["add", "alice", "--role", "viewer"], "long-enough", "exists already"),
        (["remove", "nobody"], "", "no user 'nobody'"),
        (["revoke", "alice", "deadbeef"], "", "no token"),
    ],
)
def test_bad_user_commands_say_why_and_change_nothing(
    team: Path, user_cli: Run, args: list[str], password: str, message: str
) -> None:
    before = team.read_bytes()
    result = user_cli(*args, "--password-stdin", input=password) if args[0] == "add" else None
    result = result or user_cli(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert team.read_bytes() == before


def test_an_unknown_role_is_a_usage_error(team: Path, user_cli: Run) -> None:
    result = user_cli("add", "bob", "--role", "editor", "--password-stdin", input="long-enough")
    assert result.exit_code == 2
    assert "viewer" in result.output and "adjudicator" in result.output


def test_the_password_prompt_asks_twice(users_file: Path, user_cli: Run) -> None:
    result = user_cli("add", "bob", "--role", "reviewer", input="pass-word-1\npass-word-1\n")
    assert result.exit_code == 0, result.output
    assert "added bob (reviewer)" in result.output


def test_no_users_means_local_mode(workdir: Path, users_file: Path, user_cli: Run) -> None:
    assert "local mode" in user_cli("list").output
    client = team_app(workdir, users_file).test_client()
    assert client.get("/api/claims").status_code == 200


# -- anonymous requests --------------------------------------------------------------------


def test_anonymous_api_requests_are_401_with_www_authenticate(anon: Any, store: Path) -> None:
    before = snapshot(store)
    for method, path in [
        ("get", "/api/claims"),
        ("get", "/api/documents"),
        ("post", "/api/claims"),
    ]:
        resp = getattr(anon, method)(path, json={} if method == "post" else None)
        assert resp.status_code == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert "log in" in resp.get_json()["error"]
    assert snapshot(store) == before


def test_anonymous_pages_redirect_to_login_with_next(anon: Any) -> None:
    resp = anon.get("/claims?verdict=denied")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login?next=/claims?verdict%3Ddenied"
    assert anon.get("/").headers["Location"].startswith("/login")


def test_health_static_and_the_api_description_stay_open(anon: Any) -> None:
    assert anon.get("/healthz").status_code == 200
    css = anon.get("/static/app.css")
    assert css.status_code == 200
    css.close()
    assert anon.get("/api/openapi.json").status_code == 200
    root = page(anon.get("/login"))
    assert root.one("form", action="/login").one("input", type="password")


# -- login, logout, sessions ---------------------------------------------------------------


def test_login_leads_to_next_and_records_the_user(tapp: Any, bbc: str, store: Path) -> None:
    client = tapp.test_client()
    resp = login(client, "alice", next="/claims")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/claims"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    who = page(client.get("/claims")).one(class_="who").text()
    assert "alice" in who and "reviewer" in who
    token = csrf(client)
    form = {
        "csrf_token": token,
        "doc": DOC_BBC,
        "quote": "Two missiles fired on Shusha",
        "statement": "Two missiles hit Shusha",
        "claimant": "ANAMA",
    }
    assert client.post("/claims", data=form).status_code == 303
    (new,) = [p for p in store.glob("two-missiles*.json")]
    assert json.loads(new.read_text())["history"][0]["by"] == "alice"


def test_a_wrong_password_is_refused_on_the_login_page(tapp: Any) -> None:
    client = tapp.test_client()
    for name, password in [("alice", "wrong-password"), ("nobody", "whatever-1"), ("alice", "")]:
        resp = login(client, "alice", password) if name == "alice" else None
        if resp is None:
            token = csrf(client, "/login")
            resp = client.post(
                "/login", data={"name": name, "password": password, "csrf_token": token}
            )
        assert resp.status_code == 401
        assert "Wrong user name or password" in resp.get_data(as_text=True)
        assert client.get("/claims").status_code == 302


def test_login_without_the_csrf_token_is_refused(tapp: Any) -> None:
    client = tapp.test_client()
    client.get("/login")
    resp = client.post("/login", data={"name": "alice", "password": PASSWORDS["alice"]})
    assert resp.status_code == 403
    assert client.get("/claims").status_code == 302


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_next_never_leads_to_another_site(tapp: Any, target: str) -> None:
    resp = login(tapp.test_client(), "alice", next=target)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"


def test_logout_ends_the_session(tapp: Any) -> None:
    client = logged_in(tapp, "alice")
    assert client.get("/claims").status_code == 200
    resp = client.post("/logout", data={"csrf_token": csrf(client)})
    assert resp.status_code == 303 and resp.headers["Location"] == "/login"
    assert client.get("/claims").status_code == 302
    assert client.get("/api/claims").status_code == 401


def test_a_copy_of_the_cookie_taken_before_logout_no_longer_works(tapp: Any) -> None:
    client = logged_in(tapp, "alice")
    stolen = tapp.test_client()
    stolen.set_cookie("annotate_session", client.get_cookie("annotate_session").value)
    assert stolen.get("/api/claims").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    assert stolen.get("/api/claims").status_code == 401
    assert stolen.get("/claims").status_code == 302


def test_user_logout_ends_every_session_of_that_user_at_once(
    tapp: Any, user_cli: Run, team: Path
) -> None:
    desk, laptop, vera = logged_in(tapp, "alice"), logged_in(tapp, "alice"), logged_in(tapp, "vera")
    result = user_cli("logout", "alice")
    assert result.exit_code == 0 and "ended 2 session(s) of alice" in result.output
    assert desk.get("/api/claims").status_code == 401
    assert laptop.get("/api/claims").status_code == 401
    assert vera.get("/api/claims").status_code == 200  # other users keep theirs
    cookie = vera.get_cookie("annotate_session").value
    sid = tapp.session_interface.get_signing_serializer(tapp).loads(cookie)["sid"]
    assert sid not in team.read_text()  # sessions are kept as hashes only
    assert logged_in(tapp, "alice").get("/api/claims").status_code == 200
    unknown = user_cli("logout", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output


def test_a_password_reset_or_removal_ends_sessions(tapp: Any, user_cli: Run) -> None:
    alice, vera = logged_in(tapp, "alice"), logged_in(tapp, "vera")
    assert user_cli("passwd", "alice", "--password-stdin", input="new-pass-word").exit_code == 0
    assert alice.get("/api/claims").status_code == 401
    assert user_cli("remove", "vera").exit_code == 0
    assert vera.get("/api/claims").status_code == 401
    PASSWORDS_NEW = {**PASSWORDS, "alice": "new-pass-word"}
    assert login(tapp.test_client(), "alice", PASSWORDS_NEW["alice"]).status_code == 303


def test_sessions_survive_a_restart_and_are_shared_by_processes(workdir: Path, team: Path) -> None:
    first = team_app(workdir, team)
    client = logged_in(first, "alice")
    cookie = client.get_cookie("annotate_session")
    key = team.with_name("secret.key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    second = team_app(workdir, team).test_client()
    second.set_cookie("annotate_session", cookie.value)
    assert second.get("/api/claims").status_code == 200


def test_cookies_are_secure_behind_https(workdir: Path, team: Path) -> None:
    app = team_app(workdir, team, HTTPS=True)
    resp = login(app.test_client(), "alice")
    assert "Secure" in resp.headers["Set-Cookie"]


def test_a_role_change_applies_to_the_next_request(tapp: Any, user_cli: Run, bbc: str) -> None:
    vera = logged_in(tapp, "vera")
    body = claim_body(bbc)
    assert vera.post("/api/claims", json=body).status_code == 403
    assert user_cli("role", "vera", "reviewer").exit_code == 0
    assert vera.post("/api/claims", json=body).status_code == 201


# -- rate limit ----------------------------------------------------------------------------


def test_failed_logins_per_user_are_limited_with_429(tapp: Any) -> None:
    for _ in range(5):
        assert login(tapp.test_client(), "alice", "wrong-password").status_code == 401
    resp = login(tapp.test_client(), "alice")  # even the right password must wait
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) > 0
    assert "Too many failed logins" in resp.get_data(as_text=True)
    # Another user from the same address is not locked out by alice's failures.
    assert login(tapp.test_client(), "adam").status_code == 303


def test_concurrent_guesses_cannot_outrun_the_login_limit(tapp: Any) -> None:
    """40 logins for one user at once, 39 wrong and the last right: each attempt is counted
    before its password is hashed, so no more than the limit (5) are checked at all, and the
    right password that comes after them must wait like the rest."""
    clients = [tapp.test_client() for _ in range(40)]
    forms = []
    for i, client in enumerate(clients):
        password = PASSWORDS["alice"] if i == 39 else f"wrong-password-{i}"
        forms.append({"name": "alice", "password": password, "csrf_token": csrf(client, "/login")})
    start = threading.Barrier(len(clients))
    codes: list[int] = [0] * len(clients)

    def attempt(i: int) -> None:
        start.wait()
        codes[i] = clients[i].post("/login", data=forms[i]).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = [c for c in codes if c != 429]
    assert len(checked) <= 5, sorted(codes)
    assert set(codes) <= {401, 429, 303}
    assert codes.count(303) <= 1


def test_guesses_from_one_address_do_not_lock_the_holder_out_elsewhere(tapp: Any) -> None:
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    for _ in range(5):
        client = tapp.test_client()
        token = csrf(client, "/login")
        data = {"name": "alice", "password": "wrong-guess", "csrf_token": token}
        assert client.post("/login", data=data, environ_base=attacker).status_code == 401
    client = tapp.test_client()
    token = csrf(client, "/login")
    data = {"name": "alice", "password": PASSWORDS["alice"], "csrf_token": token}
    assert client.post("/login", data=data, environ_base=attacker).status_code == 429
    # Alice at her own desk is not locked out by the attacker's guesses.
    assert login(tapp.test_client(), "alice").status_code == 303


def test_failed_logins_per_account_from_anywhere_are_limited(workdir: Path, team: Path) -> None:
    app = team_app(workdir, team, LOGIN_FAILURES_PER_ACCOUNT=4)
    for i in range(4):
        client = app.test_client()
        token = csrf(client, "/login")
        data = {"name": "alice", "password": "wrong-guess", "csrf_token": token}
        resp = client.post("/login", data=data, environ_base={"REMOTE_ADDR": f"203.0.113.{i}"})
        assert resp.status_code == 401
    assert login(app.test_client(), "alice").status_code == 429


def test_failed_logins_per_address_are_limited(workdir: Path, team: Path) -> None:
    app = team_app(workdir, team, LOGIN_FAILURES_PER_ADDRESS=3)
    for name in ("x1", "x2", "x3"):
        token = csrf(client := app.test_client(), "/login")
        data = {"name": name, "password": "guess-guess", "csrf_token": token}
        assert client.post("/login", data=data).status_code == 401
    resp = login(app.test_client(), "vera")
    assert resp.status_code == 429
    other = app.test_client()
    token = csrf(other, "/login")
    resp = other.post(
        "/login",
        data={"name": "vera", "password": PASSWORDS["vera"], "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert resp.status_code == 303


# -- roles ---------------------------------------------------------------------------------


def test_viewers_read_but_never_write(tapp: Any, store: Path, bbc: str) -> None:
    vera = logged_in(tapp, "vera")
    assert vera.get("/api/claims").status_code == 200
    assert vera.get("/api/export?format=csv").status_code == 200
    before = snapshot(store)
    token = csrf(vera)
    answers = [
        vera.post("/api/claims", json=claim_body(bbc)),
        vera.put(f"/api/claims/{EXISTING}/verdict", json={}, headers={"If-Match": '"2"'}),
        vera.delete(f"/api/claims/{EXISTING}", headers={"If-Match": '"2"'}),
        vera.post(
            f"/claims/{EXISTING}/edit",
            data={"csrf_token": token, "version": "2", "statement": "x", "claimant": "y"},
        ),
        vera.post(f"/claims/{EXISTING}/delete", data={"csrf_token": token, "version": "2"}),
    ]
    assert [r.status_code for r in answers] == [403] * 5
    assert "viewer" in answers[0].get_json()["error"]
    assert snapshot(store) == before


def test_pages_hide_write_controls_from_viewers(tapp: Any) -> None:
    doc = f"/documents/{DOC_BBC}?claim={EXISTING}"
    vera_page = page(logged_in(tapp, "vera").get(doc))
    assert vera_page.find("form", method="post", action=f"/claims/{EXISTING}/verdict") is None
    assert vera_page.find(id="new-claim") is None and vera_page.find(id="selbar") is None
    assert not [
        f for f in vera_page.find_all("form", method="post") if f.get("action") != "/logout"
    ]
    assert vera_page.find(class_="rationale") is not None
    alice_page = page(logged_in(tapp, "alice").get(doc))
    # A reviewer gives their own review; the final verdict is the adjudicator's.
    assert alice_page.find("form", action=f"/claims/{EXISTING}/review") is not None
    assert alice_page.find("form", action=f"/claims/{EXISTING}/verdict") is None
    assert alice_page.find("form", action=f"/claims/{EXISTING}/adjudicate") is None
    assert alice_page.find("form", action=f"/claims/{EXISTING}/delete") is None
    adam_page = page(logged_in(tapp, "adam").get(doc))
    assert adam_page.find("form", action=f"/claims/{EXISTING}/delete") is not None
    assert adam_page.find("form", action=f"/claims/{EXISTING}/adjudicate") is not None


def test_a_reviewer_cannot_post_a_final_verdict_through_the_page_in_team_mode(
    tapp: Any, store: Path
) -> None:
    alice = logged_in(tapp, "alice")
    before = snapshot(store)
    resp = alice.post(
        f"/claims/{EXISTING}/verdict",
        data={"verdict": "denied", "rationale": "r", "version": "2", "csrf_token": csrf(alice)},
    )
    assert resp.status_code == 403
    assert snapshot(store) == before


def test_only_adjudicators_delete(tapp: Any, store: Path) -> None:
    alice = logged_in(tapp, "alice")
    resp = alice.delete(f"/api/claims/{LONE}", headers={"If-Match": '"2"'})
    assert resp.status_code == 403 and "adjudicator" in resp.get_json()["error"]
    assert (store / f"{LONE}.json").exists()
    adam = logged_in(tapp, "adam")
    etag = adam.get(f"/api/claims/{LONE}").headers["ETag"]
    assert adam.delete(f"/api/claims/{LONE}", headers={"If-Match": etag}).status_code == 204
    (trashed,) = (store / ".trash").glob(f"{LONE}.*.json")
    assert json.loads(trashed.read_text())["history"][-1]["by"] == "adam"


def test_a_reviewers_delete_form_post_is_refused(tapp: Any, store: Path) -> None:
    # The page hides the delete button from reviewers; the POST itself must be refused too.
    alice = logged_in(tapp, "alice")
    version = str(alice.get(f"/api/claims/{EXISTING}").get_json()["version"])
    before = snapshot(store)
    resp = alice.post(
        f"/claims/{EXISTING}/delete", data={"csrf_token": csrf(alice), "version": version}
    )
    assert resp.status_code == 403
    assert "adjudicator" in resp.get_data(as_text=True)
    assert snapshot(store) == before
    assert not (store / ".trash").exists()


# -- API tokens ----------------------------------------------------------------------------


def test_a_bearer_token_acts_as_its_user_without_csrf(
    tapp: Any, user_cli: Run, store: Path, bbc: str
) -> None:
    token = make_token(user_cli, "alice")
    client = tapp.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    resp = client.post("/api/claims", json=claim_body(bbc), headers=auth)
    assert resp.status_code == 201, resp.get_json()
    claim = resp.get_json()
    history = client.get(f"/api/claims/{claim['id']}/history", headers=auth).get_json()
    assert history[0]["by"] == "alice"
    assert "Set-Cookie" not in resp.headers
    listed = user_cli("tokens", "alice").output
    assert "script" in listed and token not in listed
    assert token not in (store.parent / "conf" / "users.json").read_text()


def test_a_revoked_or_forged_token_is_401(tapp: Any, user_cli: Run, store: Path) -> None:
    token = make_token(user_cli, "alice")
    client = tapp.test_client()
    assert (
        client.get("/api/claims", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    token_id = token.split("_")[1]
    assert user_cli("revoke", "alice", token_id).exit_code == 0
    before = snapshot(store)
    for sent in [
        token,
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "ant_00000000_" + "x" * 43,
        "",
    ]:
        resp = client.delete(
            f"/api/claims/{EXISTING}",
            headers={"Authorization": f"Bearer {sent}", "If-Match": '"2"'},
        )
        assert resp.status_code == 401, sent
        assert "WWW-Authenticate" in resp.headers
    assert snapshot(store) == before


def test_a_viewer_token_cannot_write(tapp: Any, user_cli: Run, bbc: str) -> None:
    token = make_token(user_cli, "vera")
    resp = tapp.test_client().post(
        "/api/claims", json=claim_body(bbc), headers={"Authorization": f"Bearer {token}"}
    )
    assert resp.status_code == 403


# -- Host allow-list -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "a b", "localhost:xx"]
)
def test_a_foreign_host_header_is_400_and_writes_nothing(
    client: Any, store: Path, host: str, bbc: str
) -> None:
    before = snapshot(store)
    headers = {"Host": host}
    assert client.get("/api/claims", headers=headers).status_code == 400
    assert client.get("/", headers=headers).status_code == 400
    resp = client.delete(f"/api/claims/{EXISTING}", headers={**headers, "If-Match": '"2"'})
    assert resp.status_code == 400
    assert "not a name of this server" in resp.get_json()["error"]
    assert client.post("/api/claims", json=claim_body(bbc), headers=headers).status_code == 400
    assert snapshot(store) == before


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "127.0.0.1:8080", "[::1]:5000"])
def test_loopback_names_are_allowed(client: Any, host: str) -> None:
    assert client.get("/api/claims", headers={"Host": host}).status_code == 200


def test_configured_and_base_url_hosts_are_allowed(workdir: Path, team: Path) -> None:
    app = team_app(
        workdir, team, ALLOWED_HOSTS=["annotate.desk.example"], BASE_URL="https://fc.example.org"
    )
    client = app.test_client()
    for host in ("annotate.desk.example", "fc.example.org:443", "localhost"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200
    assert client.get("/healthz", headers={"Host": "other.example"}).status_code == 400


# -- serve ---------------------------------------------------------------------------------


def _serve(
    workdir: Path, *args: str, users: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if users is not None:
        env["ANNOTATE_USERS"] = str(users)
    return subprocess.run(
        [sys.executable, "-m", "annotate", "serve", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "desk.example"])
def test_serve_on_a_public_address_without_accounts_refuses_to_start(
    workdir: Path, host: str
) -> None:
    out = _serve(workdir, "--host", host, "--port", "0")  # a server that started would time out
    assert out.returncode == 2
    assert f"refusing to listen on {host} without accounts" in out.stderr
    assert "annotate user add" in out.stderr


def test_serve_with_a_broken_users_file_says_so(workdir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "users.json"
    bad.write_text("{nope", encoding="utf-8")
    out = _serve(workdir, "--host", "0.0.0.0", "--port", "0", users=bad)
    assert out.returncode == 2
    assert "cannot be read" in out.stderr


def test_anonymous_requests_to_unknown_paths_learn_nothing(anon: Any) -> None:
    assert anon.get("/api/nowhere").status_code == 401
    assert anon.post("/api/documents", json={}).status_code == 401
    assert anon.get("/nowhere").headers["Location"].startswith("/login")


def test_the_login_limiter_forgets_failures_after_its_window() -> None:
    now = [1000.0]
    limiter = FailureLimiter(2, 60, clock=lambda: now[0])
    limiter.fail("a")
    assert limiter.retry_after("a") == 0
    limiter.fail("a")
    assert 0 < limiter.retry_after("a") <= 61
    now[0] += 61
    assert limiter.retry_after("a") == 0


def test_documents_are_added_by_reviewers_and_their_text_replaced_by_adjudicators(
    tapp: Any, workdir: Path
) -> None:
    seeds = workdir / "seeds"
    before = sorted(p.name for p in seeds.iterdir())
    vera = logged_in(tapp, "vera")
    assert vera.get("/documents/new").status_code == 403
    assert vera.get(f"/documents/{DOC_BBC}/edit").status_code == 403
    resp = vera.post(
        "/api/documents",
        json={"text": "A viewer's article.\n", "title": "Viewer"},
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 403 and "reviewer" in resp.get_json()["error"]
    assert 'data-action="add-document"' not in vera.get("/").get_data(as_text=True)
    doc_page = vera.get(f"/documents/{DOC_BBC}").get_data(as_text=True)
    assert 'data-action="edit-document"' not in doc_page
    assert sorted(p.name for p in seeds.iterdir()) == before

    alice = logged_in(tapp, "alice")
    assert 'data-action="add-document"' in alice.get("/").get_data(as_text=True)
    edit = alice.get(f"/documents/{DOC_BBC}/edit").get_data(as_text=True)
    assert 'data-form="doc-replace"' not in edit and "adjudicator role" in edit
    text = (seeds / f"{DOC_BBC}.txt").read_bytes()
    token = csrf(alice, f"/documents/{DOC_BBC}/edit")
    resp = alice.post(
        f"/documents/{DOC_BBC}/replace",
        data={"csrf_token": token, "action": "preview", "text": "Another text.", "format": "text"},
    )
    assert resp.status_code == 403
    assert (seeds / f"{DOC_BBC}.txt").read_bytes() == text
    resp = alice.post(
        "/api/documents",
        json={"text": "A reviewer's article.\n", "title": "Reviewed"},
        headers={"Origin": "http://localhost"},
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)

    adam = logged_in(tapp, "adam")
    edit = adam.get(f"/documents/{DOC_BBC}/edit").get_data(as_text=True)
    assert 'data-form="doc-replace"' in edit
    token = csrf(adam, f"/documents/{DOC_BBC}/edit")
    resp = adam.post(
        f"/documents/{DOC_BBC}/replace",
        data={"csrf_token": token, "action": "preview", "text": "Another text.", "format": "text"},
    )
    assert resp.status_code == 200 and "orphaned" in resp.get_data(as_text=True)


def test_processes_sharing_the_users_file_count_the_same_failed_logins(
    workdir: Path, team: Path
) -> None:
    """Two apps on one users file stand for two server processes (`--workers`): the guesses
    made against one count in the other."""
    first, second = team_app(workdir, team), team_app(workdir, team)
    for i in range(5):
        app = first if i % 2 else second
        assert login(app.test_client(), "alice", "wrong-password").status_code == 401
    assert login(first.test_client(), "alice").status_code == 429
    assert login(second.test_client(), "alice").status_code == 429
    counts = team.with_name(team.name + ".logins.sqlite")
    assert stat.S_IMODE(counts.stat().st_mode) == 0o600


def test_serve_with_workers_counts_failed_logins_once_for_all_workers(
    workdir: Path, team: Path
) -> None:
    import re
    from urllib.parse import urlencode

    from bench import serving

    server = serving.start(
        workdir / "seeds",
        workdir / "fixtures",
        extra=["--workers", "2", "--users", str(team)],
    )
    try:
        codes = []
        for _ in range(12):  # a new connection each time: the kernel spreads them
            with server.client() as c:
                _, headers, page = c.request("GET", "/login")
                token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
                assert token is not None
                cookie = headers["set-cookie"].split(";", 1)[0]
                form = {"name": "alice", "password": "wrong", "csrf_token": token.group(1)}
                status, _, _ = c.request(
                    "POST",
                    "/login",
                    urlencode(form).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                codes.append(status)
        # Five wrong passwords in all, whichever process answered; the rest wait.
        assert codes.count(401) == 5 and codes.count(429) == 7, codes
    finally:
        server.stop()
