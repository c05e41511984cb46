"""The verdict and source rules, anchors and strictness of the models."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from annotate.record.models import Anchor, Source, VerdictInput, error_details

QUOTE = {"doc": "d", "start": 0, "end": 5, "exact": "hello"}


def verdict(v: str, *stances: str) -> dict[str, Any]:
    return {
        "verdict": v,
        "rationale": "because",
        "sources": [{"stance": s, "quote": QUOTE} for s in stances],
    }


@pytest.mark.parametrize(
    ("v", "stances"),
    [
        ("confirmed", ["supports"]),
        ("confirmed", ["supports", "refutes"]),
        ("denied", ["refutes"]),
        ("denied", ["context", "refutes"]),
        ("disputed", ["supports", "refutes"]),
    ],
)
def test_verdicts_that_cite_the_right_sources_are_accepted(v: str, stances: list[str]) -> None:
    assert VerdictInput.model_validate(verdict(v, *stances)).verdict == v


@pytest.mark.parametrize(
    ("v", "stances", "message"),
    [
        ("confirmed", [], "at least one source"),
        ("confirmed", ["refutes", "context"], "supports the claim"),
        ("denied", ["supports"], "refutes the claim"),
        ("disputed", ["supports"], "one supporting and one refuting"),
        ("disputed", ["refutes", "context"], "one supporting and one refuting"),
    ],
)
def test_verdicts_breaking_the_source_rules_name_the_sources_field(
    v: str, stances: list[str], message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        VerdictInput.model_validate(verdict(v, *stances))
    details = error_details(exc.value)
    assert details == [{"field": "sources", "message": details[0]["message"]}]
    assert message in details[0]["message"]


def test_an_unknown_verdict_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        VerdictInput.model_validate(verdict("true", "supports"))
    assert error_details(exc.value)[0]["field"] == "verdict"


def test_a_source_is_a_quote_or_a_url_not_both() -> None:
    with pytest.raises(ValidationError, match="either a quote or a url"):
        Source.model_validate({"stance": "supports"})
    with pytest.raises(ValidationError, match="either a quote or a url"):
        Source.model_validate(
            {"stance": "supports", "quote": QUOTE, "url": "https://example.org", "title": "t"}
        )
    with pytest.raises(ValidationError, match="needs a title"):
        Source.model_validate({"stance": "supports", "url": "https://example.org"})


@pytest.mark.parametrize("url", ["HTTPS://EXAMPLE.ORG/x", "Http://example.org"])
def test_an_http_url_in_capitals_is_a_source(url: str) -> None:
    assert Source.model_validate({"stance": "supports", "url": url, "title": "t"}).url == url


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/x", "example.org", "file:///etc/passwd"]
)
def test_only_http_urls_are_sources(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        Source.model_validate({"stance": "supports", "url": url, "title": "t"})


def test_an_anchor_span_must_match_its_quote_length() -> None:
    with pytest.raises(ValidationError, match="must equal the length"):
        Anchor.model_validate({**QUOTE, "end": 6})
    with pytest.raises(ValidationError, match="greater than start"):
        Anchor.model_validate({"doc": "d", "start": 5, "end": 5, "exact": "x"})


def test_unknown_fields_are_an_error_not_silently_dropped() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        VerdictInput.model_validate({**verdict("confirmed", "supports"), "verdikt": "x"})


def test_control_characters_are_refused_in_text() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        VerdictInput.model_validate(
            {**verdict("confirmed", "supports"), "rationale": "bad\x00byte"}
        )


# -- mutation survivors: error types, messages, locations and the public form -----------------


def _errors(model: Any, data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return [(e["type"], e["msg"]) for e in exc.value.errors()]


def test_each_rule_has_its_own_error_type_and_plain_message() -> None:
    assert ("control_char", "must not contain control characters") in _errors(
        VerdictInput, {**verdict("confirmed", "supports"), "rationale": "bad\x01"}
    )
    assert _errors(Source, {"stance": "supports", "url": "ftp://x.org", "title": "t"}) == [
        ("url_scheme", "must be an http:// or https:// URL")
    ]
    assert _errors(Source, {"stance": "supports"}) == [
        ("source_kind", "a source needs either a quote or a url, not both and not neither")
    ]
    assert _errors(Source, {"stance": "supports", "url": "https://example.org"}) == [
        ("source_title", "a url source needs a title")
    ]


@pytest.mark.parametrize(
    ("v", "stances", "message"),
    [
        (
            "confirmed",
            ["refutes"],
            "a 'confirmed' verdict needs at least one source that supports the claim",
        ),
        (
            "denied",
            ["supports"],
            "a 'denied' verdict needs at least one source that refutes the claim",
        ),
        (
            "disputed",
            ["supports"],
            "a 'disputed' verdict needs at least one supporting and one refuting source",
        ),
    ],
)
def test_verdict_rule_messages_are_given_whole(v: str, stances: list[str], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        VerdictInput.model_validate(verdict(v, *stances))
    assert error_details(exc.value) == [{"field": "sources", "message": message}]


def test_error_locations_read_like_paths() -> None:
    from annotate.record.models import format_loc

    assert format_loc(["sources", 0, "quote", "start"]) == "sources[0].quote.start"
    assert format_loc([0, 1]) == "[0][1]"
    assert format_loc(["a", "b"]) == "a.b"
    assert format_loc([]) == "(claim)"


def test_the_public_form_is_json_without_empty_fields_or_history() -> None:
    from annotate.record.models import Claim

    claim = Claim.model_validate(
        {
            "id": "c1",
            "version": 1,
            "statement": "s",
            "claimant": "c",
            "claim_date": "2024-01-02",
            "appearances": [QUOTE],
            "created_at": "2024-01-02T03:04:05Z",
            "created_by": "me",
            "updated_at": "2024-01-02T03:04:05Z",
            "history": [
                {"version": 1, "at": "2024-01-02T03:04:05Z", "by": "me", "action": "created"}
            ],
        }
    )
    public = claim.public()
    assert public["claim_date"] == "2024-01-02" and public["created_at"] == "2024-01-02T03:04:05Z"
    assert "history" not in public and "verdict" not in public and "claimant_type" not in public


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (
            {"statement": "a\x07b"},
            "control_char",
            "must not contain control characters",
        ),
        (
            {"statement": "not\u202eused"},
            "invisible_char",
            "must not contain the invisible character U+202E (RIGHT-TO-LEFT OVERRIDE), which "
            "can make the text display differently from what it says",
        ),
        (
            {"claimant": "Krem\u200blin"},
            "invisible_char",
            "must not contain the invisible character U+200B (ZERO WIDTH SPACE), which can "
            "make the text display differently from what it says",
        ),
        (
            {"id": "lpt1"},
            "reserved_name",
            "'lpt1' is a reserved file name on Windows; choose another id",
        ),
    ],
)
def test_each_text_rule_has_its_own_error_type_and_message(
    data: dict[str, Any], kind: str, message: str
) -> None:
    from annotate.record.models import ClaimInput

    body = {"statement": "s", "claimant": "c", "appearances": [QUOTE], **data}
    with pytest.raises(ValidationError) as caught:
        ClaimInput.model_validate(body)
    (error,) = caught.value.errors()
    assert (error["type"], error["msg"]) == (kind, message)
    assert error["loc"] == (next(iter(data)),)
