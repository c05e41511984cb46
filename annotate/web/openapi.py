"""The OpenAPI 3.1 description of the JSON API, served at `/api/openapi.json`.

The operations are written here by hand; every body schema is generated from the pydantic
models that validate the requests and shape the answers, so the description cannot drift
from what the server accepts and returns. Schemathesis tests the app against it.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic.json_schema import models_json_schema

from .. import __version__
from ..formats.export import FORMATS
from ..formats.w3c import W3C_MEDIA_TYPE
from ..record.models import (
    REVIEW_STATUSES,
    VERDICTS,
    Change,
    Claim,
    ClaimInput,
    ClaimPatch,
    ConfirmInput,
    Document,
    DocumentMeta,
    VerdictInput,
)
from .common import DEFAULT_LIMIT, MAX_LIMIT

REF = "#/components/schemas/{model}"
VERDICT_FIELDS = frozenset(VerdictInput.model_fields)
"""What `PUT …/verdict` and `PUT …/review` change (the rest of a claim is read-only there)."""
CLAIM_FIELDS = frozenset(ClaimPatch.model_fields)
"""What `PATCH /api/claims/<id>` changes."""
JSON = "application/json"

SEARCH_SYNTAX = (
    'Text search, combined with the other filters: words, and "phrases in double quotes"; '
    "a claim is found when its id, statement, claimant, rationale or the quotes of its "
    "appearances have every word (case, accents and English word forms folded: `iskanders` "
    "finds `Iskander`, `used` finds `uses`; `not`, `no`, `none`, `never` match one another). "
    "When no claim has every word, the claims with any of them are given. Nothing typed is "
    "a search operator: `AND`, `OR`, `NEAR`, `*`, `:` and an unbalanced quote are words "
    "like any other. Ranked: the words side by side or close together in the statement "
    "first, then in a quote, then by BM25. Under blind review a rationale hidden from the "
    "requester is not searched."
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def _schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [
            (Claim, "serialization"),
            (Change, "serialization"),
            (Document, "serialization"),
            (ClaimInput, "validation"),
            (ClaimPatch, "validation"),
            (VerdictInput, "validation"),
            (ConfirmInput, "validation"),
        ],
        ref_template=REF,
    )
    schemas: dict[str, Any] = top["$defs"]
    claim = schemas["Claim"]
    claim["properties"]["review_status"] = {
        "enum": list(REVIEW_STATUSES),
        "description": "Where the claim is in review (absent when blind review hides it).",
    }
    claim["properties"]["blind"] = {
        "const": True,
        "description": "Blind review hides this claim's reviews and final verdict from the "
        "requester until they have given their own review.",
    }
    claim["properties"]["match"] = {
        "type": "object",
        "description": "With `q` only: where the claim stands among the claims found and "
        "what in it matched. `highlights` has the statement and claimant, and excerpts of "
        "the rationale and the quotes where a word matched, as HTML: the text escaped, each "
        "matched word in `<mark>`; `every` is false when no claim had every word and the "
        "claims with any of them are listed.",
        "required": ["rank", "every", "highlights"],
        "properties": {
            "rank": {"type": "integer", "minimum": 1},
            "every": {"type": "boolean"},
            "highlights": {
                "type": "object",
                "properties": {
                    k: {"type": "string"} for k in ("statement", "claimant", "rationale", "quotes")
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }
    suggestion = {
        "type": "object",
        "required": ["doc", "start", "end", "exact", "score", "reason"],
        "properties": {
            "doc": {"type": "string"},
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "exact": {"type": "string"},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "reason": {"type": ["string", "null"]},
        },
        "additionalProperties": False,
    }
    schemas["Suggestions"] = {
        "type": "object",
        "title": "Suggestions",
        "required": ["appearances", "refuting"],
        "properties": {
            "appearances": {"type": "array", "items": suggestion},
            "refuting": {"type": "array", "items": suggestion},
        },
        "additionalProperties": False,
    }
    answer = {
        "type": "object",
        "required": ["claim", "answer", "claimant", "claim_date", "verdict", "short_statement"],
        "properties": {
            "claim": {"type": "string", "description": "The claim's id."},
            "answer": {"enum": ["yes", "no"]},
            "claimant": {"type": "string"},
            "claim_date": {"type": ["string", "null"], "format": "date"},
            "verdict": {
                "enum": [*VERDICTS, None],
                "description": "The final verdict; null when there is none, or blind review "
                "hides it from you (then `blind` is true).",
            },
            "short_statement": {
                "type": "string",
                "description": "The claim's short statement (its statement when it has none).",
            },
            "blind": {"const": True},
        },
        "additionalProperties": False,
    }
    schemas["Question"] = {
        "type": "object",
        "title": "Question",
        "description": "A group of claims linked by `repeats`/`contradicts` (either way, "
        "through any number of links): they answer one question. The claim holding "
        "`question` names it and gives its answer; `repeats` gives the same answer, "
        "`contradicts` the other. An unnamed group counts its first claim (by id) as `yes`. "
        "Worked out from the claims at each request: nothing of it is stored but the claims' "
        "`relations` and `question`.",
        "required": ["id", "name", "named_by", "answers", "problems"],
        "properties": {
            "id": {
                "type": "string",
                "description": "The id of the claim naming it, else of its first claim.",
            },
            "name": {"type": ["string", "null"]},
            "named_by": {"type": ["string", "null"]},
            "answers": {"type": "array", "items": answer, "description": "By claim id."},
            "problems": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Why it cannot be answered consistently (a claim linked to "
                "both answers; two names): what `annotate check` reports.",
            },
        },
        "additionalProperties": False,
    }
    schemas["QueueItem"] = {
        "type": "object",
        "title": "QueueItem",
        "required": ["id", "version", "statement", "claimant", "documents"],
        "properties": {
            "id": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "statement": {"type": "string"},
            "claimant": {"type": "string"},
            "documents": {"type": "array", "items": {"type": "string"}},
            "review_status": {"enum": list(REVIEW_STATUSES)},
            "verdict": {"enum": [*VERDICTS, None]},
            "reviewers": {"type": "array", "items": {"type": "string"}},
            "blind": {"const": True},
        },
        "additionalProperties": False,
    }
    figures = {
        "type": "object",
        "additionalProperties": True,
        "description": "See `annotate agreement --format json` in the manual.",
    }
    schemas["Agreement"] = {
        "type": "object",
        "title": "Agreement",
        "required": ["overall", "pairs", "documents"],
        "properties": {
            "overall": figures,
            "pairs": {"type": "array", "items": figures},
            "documents": {"type": "object", "additionalProperties": figures},
        },
    }
    with_text = copy.deepcopy(schemas["Document"])
    with_text["title"] = "DocumentWithText"
    with_text["properties"]["text"] = {"type": "string", "title": "Text"}
    with_text["required"] = [*with_text.get("required", []), "text"]
    schemas["DocumentWithText"] = with_text
    record = copy.deepcopy(schemas["Document"])
    record["title"] = "DocumentRecord"
    record["properties"]["meta_version"] = {
        "type": "string",
        "description": "sha256 of the metadata file: send it as If-Match to change them.",
    }
    record["required"] = [*record.get("required", []), "meta_version"]
    schemas["DocumentRecord"] = record
    added = copy.deepcopy(record)
    added["title"] = "DocumentAdded"
    added["properties"]["report"] = {
        "type": "array",
        "items": {"type": "string"},
        "description": "What was normalised or extracted from the text given.",
    }
    added["required"] = [*added["required"], "report"]
    schemas["DocumentAdded"] = added
    optional = {"type": ["string", "null"]}
    meta_fields: dict[str, Any] = {
        name: optional for name in DocumentMeta.model_fields if name != "aliases"
    }
    schemas["DocumentInput"] = {
        "type": "object",
        "title": "DocumentInput",
        "description": "An article to add: plain text or an HTML page, with metadata that "
        "override what is found in it.",
        "required": ["text"],
        "additionalProperties": False,
        "properties": {
            "text": {"type": "string"},
            "id": optional,
            "format": {"enum": ["auto", "text", "html", None]},
            **meta_fields,
        },
    }
    schemas["DocumentPatch"] = {
        "type": "object",
        "title": "DocumentPatch",
        "description": 'Metadata fields to change; null or "" clears one (not the title).',
        "additionalProperties": False,
        "properties": {
            **meta_fields,
            "aliases": {
                "type": ["array", "null"],
                "items": {"type": "string"},
                "description": "The page's other URLs (http/https); null clears them.",
            },
        },
    }
    # What a client may send back as the API gave it: the body's own fields, and the
    # read-only ones of the representation (accepted when they agree with the server, named
    # in a 422 when they do not).
    shown = schemas["Claim"]["properties"]
    for name, base, writable in (
        ("VerdictPut", "VerdictInput", VERDICT_FIELDS),
        ("ClaimPatchBody", "ClaimPatch", CLAIM_FIELDS),
    ):
        put = copy.deepcopy(schemas[base])
        put["title"] = name
        put["description"] = (
            f"{schemas[base].get('description', '')} The claim as `GET` gave it may be "
            "sent whole: its read-only fields are accepted when they agree with the server "
            "and named in a 422 when they do not."
        ).strip()
        for key, prop in shown.items():
            if key not in writable and key != "history":
                put["properties"][key] = {**copy.deepcopy(prop), "readOnly": True}
        schemas[name] = put
    review_put = copy.deepcopy(schemas["VerdictInput"])
    review_put["title"] = "ReviewPut"
    review_put["description"] = (
        "Your review: `reviews.<you>` of the claim as `GET` gave it may be sent back whole; "
        "its `reviewed_at` is read-only (accepted when it is your review's)."
    )
    review_put["properties"]["reviewed_at"] = {
        "type": "string",
        "format": "date-time",
        "readOnly": True,
    }
    schemas["ReviewPut"] = review_put
    schemas["Error"] = {
        "type": "object",
        "title": "Error",
        "description": "Every error of the API: a message, and the fields at fault.",
        "required": ["error", "details"],
        "properties": {
            "error": {"type": "string"},
            "details": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "current": {**_ref("Claim"), "description": "412: the claim as it is now."},
            "file": {"type": "string", "description": "409: the claim file that is broken."},
        },
    }
    return schemas


ERRORS = {
    "400": "The Host header is not a name of this server (DNS rebinding guard).",
    "401": "Team mode: no valid session or API token.",
    "403": "A cross-origin write, or a role that may not do this.",
    "404": "No such claim, document or path.",
    "405": "The path does not take this method.",
    "409": (
        "A claim or document with that id (or that text) exists already, a document's "
        "metadata changed since they were read, or the claim's file is broken on disk."
    ),
    "412": "If-Match names a version that is no longer current; `current` is the claim now.",
    "413": "The request body is larger than 2 MB.",
    "415": "A write whose body is not `application/json`.",
    "422": "The input breaks a rule; `details` names each field.",
    "428": "A change without If-Match.",
    "503": (
        "The store refused the write (read-only, no permission), or the server is reading as "
        "many articles as it takes at once (try again after Retry-After); nothing changed."
    ),
    "507": "The disk is full; nothing changed.",
}
READ_ERRORS = ("400", "401", "404", "405")
WRITE_ERRORS = ("400", "401", "403", "404", "405", "413", "415", "422", "503", "507")
CHANGE_ERRORS = (*WRITE_ERRORS, "409", "412", "428")


PAGING = [
    {
        "name": "limit",
        "in": "query",
        "description": f"Items per page, {DEFAULT_LIMIT} unless given, at most {MAX_LIMIT}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "offset",
        "in": "query",
        "description": "How many items of the list come before the page (0: the first page).",
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
]
"""The parameters of a paged list: `limit` items from `offset` (a bad one is a 422)."""

PAGE_HEADERS = {
    "Link": {
        "description": "The list's other pages (RFC 8288): `first` and `last` always, `prev` "
        "and `next` where there are some; each URL keeps the request's filters. Follow "
        "`next` until there is none to read the whole list.",
        "required": True,
        "schema": {"type": "string"},
    },
    "X-Total-Count": {
        "description": "How many items the whole list has (with the filters given).",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
}


def _page_of(description: str, items: dict[str, Any]) -> dict[str, Any]:
    """The 200 answer of a paged list: one page of `items`, with `PAGE_HEADERS`."""
    return {
        "description": f"{description} One page: see the Link and X-Total-Count headers.",
        "headers": PAGE_HEADERS,
        "content": {JSON: {"schema": {"type": "array", "items": items}}},
    }


def _errors(codes: tuple[str, ...]) -> dict[str, Any]:
    return {
        code: {"description": ERRORS[code], "content": {JSON: {"schema": _ref("Error")}}}
        for code in codes
    }


ETAG = {
    "ETag": {
        "description": 'The claim\'s version, quoted: send it back as If-Match, e.g. "3".',
        "required": True,
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    }
}


def _claim_answer(description: str, extra_headers: dict[str, Any] | None = None) -> Any:
    return {
        "description": description,
        "headers": {**ETAG, **(extra_headers or {})},
        "content": {JSON: {"schema": _ref("Claim")}},
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": _ref(schema)}}}


CLAIM_ID = {"name": "claim_id", "in": "path", "required": True, "schema": {"type": "string"}}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'The version you read, as its ETag: "3". Missing: 428; stale: 412.',
    "schema": {"type": "string", "pattern": '^(W/)?"?[0-9]+"?$'},
}


LD = W3C_MEDIA_TYPE
W3C_HEADERS = {
    "ETag": {
        "description": "A strong validator of this representation: send it as If-None-Match.",
        "required": True,
        "schema": {"type": "string"},
    },
    "Link": {
        "description": "The LDP type of the resource (and the container's constraints).",
        "required": True,
        "schema": {"type": "string"},
    },
    "Allow": {"required": True, "schema": {"const": "GET, HEAD, OPTIONS"}},
}
ANNOTATION = {
    "type": "object",
    "required": ["@context", "id", "type", "target"],
    "properties": {
        "@context": {},
        "id": {"type": "string", "format": "uri"},
        "type": {"const": "Annotation"},
        "motivation": {"type": "string"},
        "body": {},
        "target": {},
    },
}
PAGE = {
    "type": "object",
    "required": ["id", "type", "startIndex", "items"],
    "properties": {
        "id": {"type": "string"},
        "type": {"const": "AnnotationPage"},
        "startIndex": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": {"anyOf": [ANNOTATION, {"type": "string"}]}},
        "next": {"type": "string"},
        "prev": {"type": "string"},
        "partOf": {"type": "object"},
    },
}
CONTAINER = {
    "type": "object",
    "required": ["@context", "id", "type", "total"],
    "properties": {
        "@context": {},
        "id": {"type": "string"},
        "type": {"const": ["BasicContainer", "AnnotationCollection"]},
        "label": {"type": "string"},
        "total": {"type": "integer", "minimum": 0},
        "modified": {"type": "string"},
        "first": {"anyOf": [PAGE, {"type": "string"}]},
        "last": {"type": "string"},
    },
}


def _w3c_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "headers": W3C_HEADERS, "content": {LD: {"schema": schema}}}


def _protocol_paths() -> dict[str, Any]:
    """The read-only W3C Web Annotation Protocol container (`annotate/web/protocol.py`)."""
    not_modified = {"description": "Unchanged since the ETag sent (If-None-Match)."}
    inm = {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}
    return {
        "/annotations/": {
            "get": {
                "operationId": "annotationContainer",
                "summary": "The W3C Web Annotation Protocol container of every annotation "
                "of the `w3c` export (read-only): with `page`, one AnnotationPage.",
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "string"}},
                    {"name": "iris", "in": "query", "schema": {"enum": ["0", "1"]}},
                    {
                        "name": "Prefer",
                        "in": "header",
                        "description": 'return=representation;include="http://www.w3.org/'
                        'ns/ldp#PreferMinimalContainer" (no page embedded) or include="http:'
                        '//www.w3.org/ns/oa#PreferContainedIRIs" (items as IRIs).',
                        "schema": {"type": "string"},
                    },
                    inm,
                ],
                "responses": {
                    "200": _w3c_answer(
                        "The container (ldp:BasicContainer, AnnotationCollection), or a page.",
                        {"anyOf": [CONTAINER, PAGE]},
                    ),
                    "304": not_modified,
                    **_errors((*READ_ERRORS, "409", "422")),
                },
            }
        },
        "/annotations/{claim_id}": {
            "get": {
                "operationId": "claimAnnotation",
                "summary": "A claim as a W3C annotation, at its `id`.",
                "parameters": [CLAIM_ID, inm],
                "responses": {
                    "200": _w3c_answer("The annotation.", ANNOTATION),
                    "304": not_modified,
                    **_errors((*READ_ERRORS, "409")),
                },
            }
        },
        "/annotations/{claim_id}/reviews/{name}": {
            "get": {
                "operationId": "reviewAnnotation",
                "summary": "One reviewer's review of a claim as a W3C annotation (404 while "
                "blind review hides it from you).",
                "parameters": [
                    CLAIM_ID,
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                    inm,
                ],
                "responses": {
                    "200": _w3c_answer("The annotation.", ANNOTATION),
                    "304": not_modified,
                    **_errors((*READ_ERRORS, "409")),
                },
            }
        },
    }


@functools.cache
def _document() -> dict[str, Any]:
    verdicts = [*VERDICTS, "unreviewed"]
    export_types = sorted({f.media_type for f in FORMATS.values()})
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness probe that touches no store.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(("400",)),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {JSON: {"schema": {"type": "object"}}},
                    },
                    **_errors(("400",)),
                },
            }
        },
        "/api/documents": {
            "get": {
                "operationId": "listDocuments",
                "summary": "A page of the documents' metadata with id, sha256 and length.",
                "parameters": PAGING,
                "responses": {
                    "200": _page_of("The documents, by id.", _ref("Document")),
                    **_errors((*READ_ERRORS, "422")),
                },
            },
            "post": {
                "operationId": "addDocument",
                "summary": "Add an article (text or HTML); the id is made from the title.",
                "requestBody": _body("DocumentInput"),
                "responses": {
                    "201": {
                        "description": "The new document's metadata and what was normalised.",
                        "headers": {
                            "Location": {
                                "required": True,
                                "description": "The document's URL.",
                                "schema": {"type": "string"},
                            }
                        },
                        "content": {JSON: {"schema": _ref("DocumentAdded")}},
                    },
                    **_errors((*WRITE_ERRORS, "409")),
                },
            },
        },
        "/api/documents/{doc_id}": {
            "get": {
                "operationId": "getDocument",
                "summary": "One document's metadata and text.",
                "parameters": [
                    {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The document.",
                        "content": {JSON: {"schema": _ref("DocumentWithText")}},
                    },
                    **_errors(READ_ERRORS),
                },
            },
            "patch": {
                "operationId": "setDocumentMeta",
                "summary": "Change a document's metadata (never its text).",
                "parameters": [
                    {
                        "name": "doc_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "If-Match",
                        "in": "header",
                        "required": True,
                        "description": "The meta_version read. Missing: 428; stale: 409.",
                        "schema": {"type": "string", "pattern": '^(W/)?"?[0-9a-f]{64}"?$'},
                    },
                ],
                "requestBody": _body("DocumentPatch"),
                "responses": {
                    "200": {
                        "description": "The metadata as stored.",
                        "content": {JSON: {"schema": _ref("DocumentRecord")}},
                    },
                    **_errors((*WRITE_ERRORS, "409", "428")),
                },
            },
        },
        "/api/claims": {
            "get": {
                "operationId": "listClaims",
                "summary": "A page of the claims, filtered by document, verdict, claimant, "
                "tag and text.",
                "parameters": [
                    *PAGING,
                    {"name": "doc", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "verdict",
                        "in": "query",
                        "description": "A verdict, or `unreviewed`; empty means any.",
                        "schema": {"enum": [*verdicts, ""]},
                    },
                    {
                        "name": "q",
                        "in": "query",
                        "description": SEARCH_SYNTAX,
                        "schema": {"type": "string"},
                    },
                    {"name": "claimant", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "tag",
                        "in": "query",
                        "schema": {"type": "string"},
                        "description": "Claims with this tag (any letter case).",
                    },
                ],
                "responses": {
                    "200": _page_of(
                        "The claims, by id; with `q`, best match first, each with its `match` "
                        "(its rank counted over the whole list).",
                        _ref("Claim"),
                    ),
                    **_errors((*READ_ERRORS, "422")),
                },
            },
            "post": {
                "operationId": "createClaim",
                "summary": "Create a claim; the server checks every quote against the corpus.",
                "requestBody": _body("ClaimInput"),
                "responses": {
                    "201": _claim_answer(
                        "The new claim at version 1.",
                        {
                            "Location": {
                                "required": True,
                                "description": "The claim's URL.",
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                    **_errors((*WRITE_ERRORS, "409")),
                },
            },
        },
        "/api/claims/{claim_id}": {
            "get": {
                "operationId": "getClaim",
                "summary": "One claim, with its version as ETag.",
                "parameters": [
                    CLAIM_ID,
                    {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _claim_answer("The claim."),
                    "304": {"description": "Unchanged since the ETag sent.", "headers": ETAG},
                    **_errors((*READ_ERRORS, "409")),
                },
            },
            "patch": {
                "operationId": "editClaim",
                "summary": "Change statement, claimant, claim date, appearances, tags or note.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "requestBody": _body("ClaimPatchBody"),
                "responses": {
                    "200": _claim_answer("The claim's new version."),
                    **_errors(CHANGE_ERRORS),
                },
            },
            "delete": {
                "operationId": "deleteClaim",
                "summary": "Delete a claim (kept in the store's trash); adjudicators in team mode.",
                "description": "A claim other claims link to (`relations`) is not deleted: "
                "409, its detail `linked_by` naming the claims that link to it; remove "
                "those relations first.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "responses": {
                    "204": {"description": "Deleted."},
                    **_errors(tuple(c for c in CHANGE_ERRORS if c != "415")),
                },
            },
        },
        "/api/claims/{claim_id}/verdict": {
            "put": {
                "operationId": "setVerdict",
                "summary": "Set the final verdict, rationale and sources (the source rules "
                "apply); adjudicators in team mode.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "requestBody": _body("VerdictPut"),
                "responses": {
                    "200": _claim_answer("The claim's new version."),
                    **_errors(CHANGE_ERRORS),
                },
            }
        },
        "/api/claims/{claim_id}/verdict/confirm": {
            "post": {
                "operationId": "confirmVerdict",
                "summary": "Confirm that the final verdict still stands after its cited "
                "evidence changed (re-anchored, orphaned, or its document's text replaced): "
                "the claim is no longer reopened; adjudicators in team mode.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "requestBody": _body("ConfirmInput"),
                "responses": {
                    "200": _claim_answer("The claim's new version."),
                    **_errors(CHANGE_ERRORS),
                },
            }
        },
        "/api/claims/{claim_id}/review": {
            "put": {
                "operationId": "setReview",
                "summary": "Give or revise your own review (the source rules apply); agreeing "
                "reviews settle the final verdict.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "requestBody": _body("ReviewPut"),
                "responses": {
                    "200": _claim_answer("The claim's new version."),
                    **_errors(CHANGE_ERRORS),
                },
            },
            "delete": {
                "operationId": "withdrawReview",
                "summary": "Withdraw your own review.",
                "parameters": [CLAIM_ID, IF_MATCH],
                "responses": {
                    "200": _claim_answer("The claim's new version."),
                    **_errors(tuple(c for c in CHANGE_ERRORS if c != "415")),
                },
            },
        },
        "/api/queue": {
            "get": {
                "operationId": "queue",
                "summary": "A page of the claims by review status, or of those waiting for "
                "a reviewer.",
                "parameters": [
                    *PAGING,
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": [*REVIEW_STATUSES, ""]},
                    },
                    {
                        "name": "reviewer",
                        "in": "query",
                        "description": "Only the claims waiting for this reviewer's review.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _page_of("Claim summaries, by id.", _ref("QueueItem")),
                    **_errors((*READ_ERRORS, "422")),
                },
            }
        },
        "/api/agreement": {
            "get": {
                "operationId": "agreement",
                "summary": "Agreement between reviewers, overall, per pair and per document.",
                "parameters": [{"name": "doc", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The figures.",
                        "content": {JSON: {"schema": _ref("Agreement")}},
                    },
                    **_errors((*READ_ERRORS, "403")),
                },
            }
        },
        "/api/questions": {
            "get": {
                "operationId": "questions",
                "summary": "Every question the claims answer, named ones first by name.",
                "responses": {
                    "200": {
                        "description": "The questions.",
                        "content": {JSON: {"schema": {"type": "array", "items": _ref("Question")}}},
                    },
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/api/questions/{question_id}": {
            "get": {
                "operationId": "question",
                "summary": "One question, by its id.",
                "parameters": [
                    {
                        "name": "question_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The question.",
                        "content": {JSON: {"schema": _ref("Question")}},
                    },
                    **_errors(READ_ERRORS),
                },
            }
        },
        "/api/claims/{claim_id}/history": {
            "get": {
                "operationId": "claimHistory",
                "summary": "Every recorded change of a claim: version, who, when, what.",
                "parameters": [CLAIM_ID],
                "responses": {
                    "200": {
                        "description": "The changes, oldest first.",
                        "content": {JSON: {"schema": {"type": "array", "items": _ref("Change")}}},
                    },
                    **_errors((*READ_ERRORS, "409")),
                },
            }
        },
        "/api/claims/{claim_id}/suggestions": {
            "get": {
                "operationId": "claimSuggestions",
                "summary": "Passages like the claim: candidate appearances (they say the same "
                "thing) and candidate refuting sources (they say its opposite).",
                "description": "Sentences of the corpus (of the claim's neighbourhood in a "
                "large one; `doc` adds a document to it) most like the claim's statement and "
                "appearances, those already an appearance or a quoted source left out, the "
                "five best of each list. A passage is opposite when its negation cues (not, "
                "no, never, n't, none, denied, disagree, false…) covering the claim's "
                "predicate are odd where the claim's are even, or the reverse; `reason` says "
                "so in a few quoted words (null when neither side has a negation).",
                "parameters": [
                    CLAIM_ID,
                    {"name": "doc", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "The two lists, best first.",
                        "content": {JSON: {"schema": _ref("Suggestions")}},
                    },
                    **_errors((*READ_ERRORS, "409")),
                },
            }
        },
        "/api/export": {
            "get": {
                "operationId": "export",
                "summary": "The export of every claim; the same store gives the same bytes.",
                "parameters": [
                    {"name": "format", "in": "query", "schema": {"enum": sorted(FORMATS)}},
                    {"name": "download", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "history",
                        "in": "query",
                        "description": "json: `1` gives each claim its history of changes.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "excel",
                        "in": "query",
                        "description": "csv: `1` starts it with the UTF-8 byte order mark "
                        "Excel needs.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The export, in the format's media type.",
                        "content": {t: {"schema": {}} for t in export_types},
                    },
                    **_errors((*READ_ERRORS, "422")),
                    "409": {
                        "description": "claimreview of a desk without a public base URL "
                        "(loopback, localhost, a private address): set [publish] base_url.",
                        "content": {JSON: {"schema": _ref("Error")}},
                    },
                },
            }
        },
        **_protocol_paths(),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "annotate",
            "version": __version__,
            "description": (
                "Fact-check annotation: claims anchored in a corpus, verdicts with cited "
                "evidence. Every change names the version it read in If-Match. In team mode "
                "send `Authorization: Bearer <token>` (see `annotate user token`)."
            ),
        },
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Team mode: a token from `annotate user token NAME`.",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "annotate_session"},
            },
        },
        # Local mode needs no credentials; team mode needs one of the two.
        "security": [{}, {"bearer": []}, {"session": []}],
        "paths": paths,
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy)."""
    return copy.deepcopy(_document())
