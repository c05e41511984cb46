"""The claim file format (record/store/claimfile.py): one pretty, key-sorted file per claim,
byte for byte what the standard library would write."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.record.service import Workspace
from annotate.record.store import to_json


def test_a_claim_is_one_pretty_key_sorted_file_with_a_trailing_newline(
    ws: Workspace, make_claim: Callable[..., dict[str, object]]
) -> None:
    claim = make_claim()
    path = ws.store.path_for(str(claim["id"]))
    raw = path.read_text(encoding="utf-8")
    data = json.loads(raw)
    assert raw == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert data["version"] == 1
    assert data["appearances"][0]["prefix"].endswith("\n\n")
    assert data["history"][0]["action"] == "created"
    assert data["history"][0]["by"] == "tester"


JSON = st.recursive(
    # orjson takes 64-bit integers (no claim holds a larger number)
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(deadline=None)  # no timing in tests: a loaded machine must not fail it
@given(JSON)
def test_the_store_writes_json_byte_for_byte_as_the_standard_library_would(data: object) -> None:
    # The fast encoder must not change a single byte of the files in git.
    expected = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        expected_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no UTF-8 file can hold them either way
        with pytest.raises((UnicodeEncodeError, TypeError)):
            to_json(data).encode()
        return
    assert to_json(data).encode() == expected_bytes


def test_every_shipped_claim_file_is_what_the_store_would_write(store: Path) -> None:
    for path in sorted(store.glob("*.json")):
        raw = path.read_bytes()
        assert to_json(json.loads(raw)).encode() == raw, path.name
