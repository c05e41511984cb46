"""The timeline and the who-says-what matrix on the shipped record as it is (its questions,
links and dates, set by the desk editor through the API): the story of "Were Iskanders
used?" reads in order, and the matrix says who asserts and who denies it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .test_views import SVG, table_rows

QUESTION = "Were Iskanders used?"
ANAMA = "Mine Action Agency of the Republic of Azerbaijan (ANAMA)"


def _question_id(client: Any) -> str:
    (found,) = [q for q in client.get("/api/questions").get_json() if q["name"] == QUESTION]
    return str(found["id"])


def test_the_timeline_tells_the_iskander_story_in_order(client: Any) -> None:
    resp = client.get(f"/timeline?question={_question_id(client)}")
    assert resp.status_code == 200
    rows = [
        (r.find_all("td")[0].text(), r.find_all("td")[1].text(), r.find_all("td")[-1].text())
        for r in table_rows(resp, "timeline-table")
    ]
    when = [w for w, _, _ in rows]
    # February's denials and Pashinyan's remark, March's retraction and find, April's claims.
    assert when[:4] == ["Feb 2021", "Feb 2021", "Feb 2021", "26 Feb 2021"]
    assert when[4:6] == ["Mar 2021", "Mar 2021"]
    assert all(w.endswith("Apr 2021") for w in when[6:]) and len(when) > 7
    said = {(w, who): answer for w, who, answer in rows}
    assert said[("Feb 2021", "Ilham Aliyev")] == f"{QUESTION}: denies"
    assert said[("26 Feb 2021", "Russian Ministry of Defence")] == f"{QUESTION}: denies"
    assert said[("Mar 2021", "Mane Gevorgyan")] == f"{QUESTION}: denies"
    assert said[("Mar 2021", ANAMA)] == f"{QUESTION}: asserts"  # the find, announced in March
    assert said[("2 Apr 2021", "Idris Ismayilov")] == f"{QUESTION}: asserts"
    assert said[("12 Apr 2021", "Ilham Aliyev")] == f"{QUESTION}: asserts"
    # Each with its verdict, as the highlights mark it.
    verdicts = [r.one("span").text() for r in table_rows(resp, "timeline-table")]
    assert verdicts[3] == "denied"  # the Ministry's 26 February denial
    assert set(verdicts) <= {"confirmed", "denied", "disputed"}


def test_the_timeline_draws_a_month_as_a_bar_across_it(client: Any) -> None:
    svg = client.get(f"/timeline.svg?question={_question_id(client)}").get_data()
    root = ET.fromstring(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray") == "2 2"]
    # Aliyev's and Pashinyan's two in February, the Ministry's "warehouses" is not an answer
    # to this question; the March retraction and find.
    assert len(bars) == 5
    assert "A dashed bar: said in that month" in svg.decode()


def test_the_matrix_says_who_asserts_and_who_denies_that_iskanders_were_used(
    client: Any,
) -> None:
    data = client.get(f"/matrix.json?question={_question_id(client)}").get_json()
    says: dict[str, set[str]] = {}
    for cell in data["cells"]:
        says.setdefault(cell["claimant"], set()).add(cell["answer"])
    assert says["Russian Ministry of Defence"] == {"no"}
    assert says["Dmitry Peskov"] == {"no"}
    assert says["Idris Ismayilov"] == {"yes"}
    assert says["Nikol Pashinyan"] == {"yes"}
    assert says["Ilham Aliyev"] == {"yes", "no"}  # February's denial, April's war crime
    page = client.get(f"/matrix?question={_question_id(client)}").get_data(as_text=True)
    assert "Russian Ministry of Defence" in page and "denies" in page and "asserts" in page
