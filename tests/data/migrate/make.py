"""Write the export files of other tools in this folder, on the shipped articles (`seeds/`).

Run from the repository root: `python tests/data/migrate/make.py`. The files are committed;
this script says how each one was made (offsets are counted in the shipped texts, never typed
in), and which documentation page each shape follows (see README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
AZERNEWS, ALIYEV, VENEDIKTOV = (
    "002_212af70a4bdf495d",
    "003_de1e71ce094deadf",
    "004_da7503a316cb05c0",
)
BBC, KNOT = "000_6c6c33166c2267e4", "001_ea092f251b0b5650"


def text(doc: str) -> str:
    return (ROOT / "seeds" / f"{doc}.txt").read_text(encoding="utf-8")


def quote(doc: str, exact: str, nth: int = 0, page: str | None = None) -> dict:
    """A TextQuoteSelector as Hypothesis's client makes it: 32 characters of context each
    side, of the page's text (`page`: the quote as the web page writes it)."""
    t = text(doc)
    at = -1
    for _ in range(nth + 1):
        at = t.index(exact, at + 1)
    return {
        "type": "TextQuoteSelector",
        "exact": page or exact,
        "prefix": t[max(0, at - 32) : at],
        "suffix": t[at + len(exact) : at + len(exact) + 32],
    }, at


def hypothesis() -> dict:
    """A group's annotations as `GET /api/search?group=…` answers (h's API reference,
    "Search for annotations"; the annotation schema of `GET /api/annotations/{id}`)."""
    group = "kDg3nYbq"
    exact = "Armenia's other weapons were not fired at Azerbaijani territories"
    sel, at = quote(AZERNEWS, exact, page=exact.replace("'", "\u2019"))
    page_url = "http://azernews.az/nation/176453.html/?utm_source=twitter&utm_medium=social&fbclid=IwAR2x#annotations"
    a1 = {
        "id": "Zq8uHAS4Ee-kVJPVNvyq7w",
        "created": "2021-02-19T08:14:03.114563+00:00",
        "updated": "2021-02-19T08:20:41.006517+00:00",
        "user": "acct:nadia_checks@hypothes.is",
        "uri": page_url,
        "text": "Sargsyan contradicts the MoD here: ask ANAMA which weapons hit Shusha.",
        "tags": ["iskander", "Sargsyan", "to verify"],
        "group": group,
        "permissions": {
            "read": [f"group:{group}"],
            "admin": ["acct:nadia_checks@hypothes.is"],
            "update": ["acct:nadia_checks@hypothes.is"],
            "delete": ["acct:nadia_checks@hypothes.is"],
        },
        "target": [
            {
                "source": page_url,
                "selector": [
                    {
                        "type": "RangeSelector",
                        "endOffset": 96,
                        "startOffset": 31,
                        "endContainer": "/div[1]/main[1]/article[1]/div[2]/p[9]",
                        "startContainer": "/div[1]/main[1]/article[1]/div[2]/p[9]",
                    },
                    # A position in the web page's text (menus and all): never ours.
                    {
                        "type": "TextPositionSelector",
                        "start": at + 2211,
                        "end": at + 2211 + len(exact),
                    },
                    sel,
                ],
            }
        ],
        "document": {
            "title": ["Armenian ex-president confirms Iskander missile launch to Shusha"],
            "link": [
                {"href": page_url},
                {
                    "href": "https://www.azernews.az/nation/176453.html",
                    "rel": "canonical",
                    "type": "",
                },
                {
                    "href": "https://amp.azernews.az/nation/176453.html",
                    "rel": "amphtml",
                    "type": "",
                },
                {
                    "href": "https://www.azernews.az/news.php?news_id=176453&cat=nation",
                    "rel": "shortlink",
                    "type": "",
                },
            ],
        },
        "links": {
            "html": "https://hypothes.is/a/Zq8uHAS4Ee-kVJPVNvyq7w",
            "incontext": "https://hyp.is/Zq8uHAS4Ee-kVJPVNvyq7w/azernews.az/nation/176453.html/",
            "json": "https://hypothes.is/api/annotations/Zq8uHAS4Ee-kVJPVNvyq7w",
        },
        "user_info": {"display_name": "Nadia K."},
        "flagged": False,
        "hidden": False,
    }
    reply = {
        "id": "b7v1PgS5Ee-wS0NDIGdGqg",
        "created": "2021-02-19T09:02:11.845112+00:00",
        "updated": "2021-02-19T09:02:11.845112+00:00",
        "user": "acct:omar_desk@hypothes.is",
        "uri": page_url,
        "text": "ANAMA's report of 15 March lists only the Iskander fragments.",
        "tags": [],
        "group": group,
        "references": ["Zq8uHAS4Ee-kVJPVNvyq7w"],
        "target": [{"source": page_url}],
        "document": {"title": ["Armenian ex-president confirms Iskander missile launch to Shusha"]},
        "links": {"html": "https://hypothes.is/a/b7v1PgS5Ee-wS0NDIGdGqg"},
        "user_info": {"display_name": "Omar"},
        "flagged": False,
        "hidden": False,
    }
    # The second "9M723" of Venediktov's interview, on an AMP copy of the page; the position
    # nested under the XPath selector counts inside its paragraph (and happens to be the
    # document offset of the *first* 9M723): only prefix and suffix tell the place.
    sel2, second = quote(VENEDIKTOV, "9M723", nth=1)
    first = text(VENEDIKTOV).index("9M723")
    amp_url = "https://echo.msk.ru/amp/blog/venediktov/2816532-echo/?amp=1&utm_campaign=share"
    a2 = {
        "id": "x2Lq4AUFEe-6TzcBBm-Vrg",
        "created": "2021-04-07T12:40:55.310921+00:00",
        "updated": "2021-04-07T12:40:55.310921+00:00",
        "user": "acct:omar_desk@hypothes.is",
        "uri": amp_url,
        "text": "The marking again: is 9M723 really Iskander-M only? "
        "Compare the export variant 9M723E.",
        "tags": ["9M723", "iskander"],
        "group": group,
        "target": [
            {
                "source": amp_url,
                "selector": [
                    {
                        "type": "XPathSelector",
                        "value": "/html[1]/body[1]/article[1]/p[3]",
                        "refinedBy": {
                            "type": "TextPositionSelector",
                            "start": first,
                            "end": first + 5,
                        },
                    },
                    sel2,
                ],
            }
        ],
        "document": {
            "title": ["Alexei Venediktov: There's still no answer"],
            "link": [
                {"href": amp_url},
                {
                    "href": "https://echo.msk.ru/blog/venediktov/2816532-echo/",
                    "rel": "canonical",
                    "type": "",
                },
            ],
        },
        "links": {"html": "https://hypothes.is/a/x2Lq4AUFEe-6TzcBBm-Vrg"},
        "user_info": {"display_name": "Omar"},
        "flagged": False,
        "hidden": False,
    }
    gone = {
        **a1,
        "id": "Q9rN2gS4Ee-vD3tOJmPZ2A",
        "text": "The newsletter box says AzerNews has 2 million readers.",
        "tags": ["reach"],
        "target": [
            {
                "source": page_url,
                "selector": [
                    {
                        "type": "TextQuoteSelector",
                        "exact": "Subscribe to our daily newsletter",
                        "prefix": "",
                        "suffix": "",
                    }
                ],
            }
        ],
    }
    page_note = {
        **a1,
        "id": "Vn0p3gS4Ee-e6U-pSyCkQw",
        "text": "Whole page: compare with the Russian MoD statement of 26 February.",
        "tags": ["page note"],
        "target": [{"source": page_url}],
    }
    rows = [a1, reply, a2, gone, page_note]
    assert second != first
    return {"total": len(rows), "rows": rows}


def span(doc: str, exact: str, nth: int = 0) -> tuple[int, int]:
    t = text(doc)
    at = -1
    for _ in range(nth + 1):
        at = t.index(exact, at + 1)
    return at, at + len(exact)


def labelstudio() -> list:
    """A project's JSON export ("Label Studio JSON format of annotated tasks", labelstud.io
    guide/task_format and guide/export): `<Labels name="label" toName="text">` over
    `<Text name="text" value="$text">`, labels Claim, FALSE, Misleading."""
    aliyev = text(ALIYEV)
    knot = text(KNOT)
    new_text = (
        "Pashinyan: Iskanders fired but did not explode\n\nArmenian Prime Minister Nikol "
        "Pashinyan said on 23 February that Iskander missiles fired during the war did not "
        "explode, or exploded only ten percent of them.\n"
    )

    def result(rid: str, doc_text: str, exact: str, label: str, nth: int = 0) -> dict:
        at = -1
        for _ in range(nth + 1):
            at = doc_text.index(exact, at + 1)
        return {
            "value": {"start": at, "end": at + len(exact), "text": exact, "labels": [label]},
            "id": rid,
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "origin": "manual",
        }

    def annotation(aid: int, task: int, user: int, results: list) -> dict:
        return {
            "id": aid,
            "completed_by": user,
            "result": results,
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2021-04-13T09:12:44.512301Z",
            "updated_at": "2021-04-13T09:15:02.100342Z",
            "draft_created_at": None,
            "lead_time": 138.4,
            "prediction": {},
            "result_count": 0,
            "unique_id": f"c1d2e3f4-{aid:04d}",
            "import_id": None,
            "last_action": None,
            "task": task,
            "project": 7,
            "updated_by": user,
            "parent_prediction": None,
            "parent_annotation": None,
            "last_created_by": None,
        }

    def task(tid: int, data: dict, annotations: list) -> dict:
        return {
            "id": tid,
            "annotations": annotations,
            "file_upload": "f3a1b2c4-articles.json",
            "drafts": [],
            "predictions": [],
            "data": data,
            "meta": {},
            "created_at": "2021-04-13T08:00:12.000134Z",
            "updated_at": "2021-04-13T09:15:02.133311Z",
            "inner_id": tid,
            "total_annotations": len(annotations),
            "cancelled_annotations": 0,
            "total_predictions": 0,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 7,
            "updated_by": 3,
            "comment_authors": [],
        }

    return [
        task(
            101,
            {"text": aliyev, "title": "Aliyev on the origin of the Iskander-M missiles"},
            [
                annotation(
                    201,
                    101,
                    3,
                    [
                        result(
                            "r1",
                            aliyev,
                            "Baku is still waiting for a response from Yerevan",
                            "Claim",
                        ),
                        result(
                            "r2",
                            aliyev,
                            "the Iskander-M missile systems were not used during the conflict",
                            "FALSE",
                        ),
                        result("r3", aliyev, "Iskander", "Misleading", nth=3),
                    ],
                )
            ],
        ),
        # The same article as uploaded from a Windows machine: CRLF line ends.
        task(
            102,
            {"text": knot.replace("\n", "\r\n").rstrip("\r\n")},
            [
                annotation(
                    202,
                    102,
                    4,
                    [result("r4", knot.replace("\n", "\r\n"), "Iskander", "Claim", nth=2)],
                )
            ],
        ),
        task(
            103,
            {
                "text": new_text,
                "title": "Pashinyan: Iskanders fired but did not explode",
                "url": "https://news.example.am/2021/02/23/pashinyan-iskander",
            },
            [
                annotation(
                    203,
                    103,
                    3,
                    [result("r5", new_text, "exploded only ten percent of them", "FALSE")],
                )
            ],
        ),
    ]


def doccano() -> str:
    """A sequence-labelling project's JSONL export (doccano's docs, "Export dataset",
    sequence labeling: `label` as `[start, end, label]` in 1.x, `entities` with
    `start_offset`/`end_offset` in later versions); labels CLAIM, DISPUTED, PER."""
    bbc, az = text(BBC), text(AZERNEWS)
    s1 = span(BBC, "Iskander")
    s2 = span(AZERNEWS, "Iskander should have been used")
    s3 = span(AZERNEWS, "Sargsyan", 2)
    lines = [
        {
            "id": 17,
            "text": bbc,
            "label": [[s1[0], s1[1], "CLAIM"]],
            "Comments": ["first mention: check the variant"],
        },
        {
            "id": 18,
            "text": az,
            "entities": [
                {"id": 51, "label": "DISPUTED", "start_offset": s2[0], "end_offset": s2[1]},
                {"id": 52, "label": "PER", "start_offset": s3[0], "end_offset": s3[1]},
            ],
            "relations": [],
            "Comments": [],
        },
    ]
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def write(name: str, data: object) -> None:
    (HERE / name).write_text(
        data if isinstance(data, str) else json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    write("hypothesis-group.json", hypothesis())
    write("labelstudio-export.json", labelstudio())
    write("doccano-export.jsonl", doccano())
