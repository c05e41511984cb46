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
