"""The OpenAPI description at /api/openapi.json, and schemathesis run against the app with it.

Schemathesis (from PyPI) generates requests from the description, valid and invalid, sends them
to the Flask app and checks every answer: never a 5xx, and status code, content type, headers
and body as described.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
import schemathesis.specs.openapi.checks  # noqa: F401  (registers the OpenAPI checks)
from hypothesis import HealthCheck, settings
from schemathesis.checks import CHECKS as REGISTERED

from annotate import create_app
from annotate.record.accounts import Users
from annotate.record.models import Claim

from .conftest import DOC_BBC, ROOT

EXISTING = "iskander-fragments-found-in-shusha"
CHECKS = REGISTERED.get_all()
"""Every check schemathesis has (`--checks all`), configured in schemathesis.toml."""
assert {c.__name__ for c in CHECKS} >= {
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
}, "schemathesis registered fewer checks than the test means to run"
UNSERVED = {"positive_data_acceptance", "unsupported_method", "missing_required_header"}
"""Checks that expect a request to get past authentication."""


def test_the_description_is_served_and_its_schemas_come_from_the_models(client: Any) -> None:
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.1")
    schemas = doc["components"]["schemas"]
    # The same rules as the models: the store's files validate against the Claim schema.
    resolver = {"components": {"schemas": schemas}, **schemas["Claim"]}
    validator = jsonschema.Draft202012Validator(resolver)
    for path in sorted((ROOT / "fixtures").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        public = Claim.model_validate(data).public()
        validator.validate(public)
    assert schemas["ClaimInput"]["required"] == ["statement", "claimant", "appearances"]
    assert set(doc["paths"]) >= {
        "/api/claims",
        "/api/claims/{claim_id}",
        "/api/claims/{claim_id}/verdict",
        "/api/export",
        "/api/documents/{doc_id}",
    }


def test_the_description_is_as_strict_as_the_server(client: Any, ws: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    put = doc["paths"]["/api/claims/{claim_id}/verdict"]["put"]
    (if_match,) = [p for p in put["parameters"] if p["name"] == "If-Match"]
    pattern = jsonschema.Draft202012Validator(if_match["schema"])
    for value, accepted in (('"3"', True), ("3", True), ('W/"3"', True), ("*", False)):
        assert pattern.is_valid(value) is accepted, value
    assert "428" in put["responses"] and "412" in put["responses"]
    claim = next(iter(ws.claims()))
    refused = client.put(f"/api/claims/{claim.id}/verdict", json={}, headers={"If-Match": "*"})
    assert refused.status_code == 422  # `*` is outside the schema and refused
    listing = doc["paths"]["/api/claims"]["get"]
    (verdict,) = [p for p in listing["parameters"] if p["name"] == "verdict"]
    assert "" in verdict["schema"]["enum"]  # the server reads an empty verdict as any
    assert client.get("/api/claims?verdict=").status_code == 200


def test_a_method_a_path_does_not_take_answers_405_with_allow(client: Any) -> None:
    resp = client.delete("/api/claims")
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert resp.get_json()["error"].startswith("Method Not Allowed")


@pytest.fixture
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_described_and_never_with_a_5xx(case: Any, store: Path) -> None:
    # Half the generated ids become real ones, so that 200s, 412s and 422s on real claims and
    # documents are checked too, not only 404s.
    for name, real in (("claim_id", EXISTING), ("doc_id", DOC_BBC)):
        ident = (case.path_parameters or {}).get(name)
        if ident is not None and len(str(ident)) % 2 == 0:
            case.path_parameters[name] = real
    case.call_and_validate(checks=CHECKS)


@pytest.fixture
def team_api(workdir: Path, tmp_path: Path) -> tuple[Any, str]:
    """The app in team mode and a reviewer's API token."""
    users = Users(tmp_path / "conf" / "users.json")
    users.add("rita", "reviewer", "rita-pass-1")
    _, token = users.create_token("rita")
    app = create_app(
        {
            "TESTING": True,
            "SEEDS": str(workdir / "seeds"),
            "STORE": str(workdir / "fixtures"),
            "FSYNC": False,
            "USERS_FILE": str(users.path),
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app), token


@pytest.fixture
def team_api_schema(team_api: tuple[Any, str]) -> Any:
    return team_api[0]


team_schema = schemathesis.pytest.from_fixture("team_api_schema")


@team_schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_in_team_mode_too(case: Any, team_api: tuple[Any, str]) -> None:
    # With a reviewer's token (deleting answers 403), and without one (401): both described.
    ident = (case.path_parameters or {}).get("claim_id")
    if ident is not None and len(str(ident)) % 2 == 0:
        case.path_parameters["claim_id"] = EXISTING
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Bearer {team_api[1]}"})
    # Without: every answer is the documented 401, before anything else is looked at (the
    # checks that expect a request to be served or routed do not apply to it).
    anonymous = [c for c in CHECKS if c.__name__ not in UNSERVED]
    case.call_and_validate(checks=anonymous)
