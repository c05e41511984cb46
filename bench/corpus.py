"""A synthetic newsroom corpus and claim store, for benchmarks and load tests.

Run as `python -m bench.corpus --docs N --claims M --out DIR [--seed S]`. It writes

- `DIR/seeds/`: `N` article-length documents (`<id>.txt`, a few thousand characters in
  paragraphs of sentences, some of it non-ASCII) with their `<id>.json` metadata sidecars, as
  in the shipped `seeds/`;
- `DIR/store/`: `M` claim files, byte for byte as the store writes them (`store.dumps`). A claim
  appears in one to four documents (its sentence verbatim at each anchor's offsets, with the
  prefix and suffix `anchoring.make_anchor` gives); about a third are unreviewed, the others
  are confirmed, denied or disputed with quoted sources (anchors into other documents) and some
  URL sources, as the verdict rules require; the history says who created, reviewed and edited
  each claim (built with the service's own `revise`);
- `DIR/bench-corpus.json`: what was generated, including the busiest document (the first one,
  where up to 500 claims appear: the page benchmark's document).

The output is a function of the arguments alone: the same seed gives byte-identical files.
Nothing is written when `DIR/seeds` or `DIR/store` already holds files.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from annotate.record import clock as record_clock
from annotate.record.anchoring import make_anchor
from annotate.record.models import Anchor, Change, Claim, Source
from annotate.record.revisions import revise
from annotate.record.service import slugify
from annotate.record.store import dumps, to_json

BUSIEST = 500
"""How many claims appear in the busiest document (the first one) when there are that many."""

EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)

PEOPLE = (
    "Maria Keller",
    "José Ramírez",
    "Zoë Müller",
    "Łukasz Wójcik",
    "Aylin Yıldız",
    "Nguyễn Văn An",
    "Søren Østergaard",
    "Amara Okafor",
    "Ilham Aliyev",
    "Anna Petrova",
    "Chen Wei",
    "Fatima Haddad",
    "David Cohen",
    "Priya Raman",
    "Tomás Ó Briain",
    "Hélène Dubois",
)
ORGS = (
    "the Ministry of Defence",
    "the regional prosecutor’s office",
    "the state statistics agency",
    "Human Rights Watch",
    "the mine-clearance agency",
    "the city council",
    "the central bank",
    "the election commission",
    "a parliamentary committee",
    "the port authority",
)
PLACES = (
    "Shusha",
    "Bakı",
    "Yerevan",
    "Kraków",
    "Zürich",
    "São Paulo",
    "Malmö",
    "Tbilisi",
    "Gdańsk",
    "Thessaloniki",
    "Ñuñoa",
    "Aarhus",
)
THINGS = (
    ("missile fragments", "were found"),
    ("ballot boxes", "were sealed"),
    ("grain shipments", "were delayed"),
    ("families", "were evacuated"),
    ("unexploded shells", "were recovered"),
    ("hospital beds", "were added"),
    ("permits", "were revoked"),
    ("containers", "were inspected"),
    ("complaints", "were filed"),
    ("wells", "were poisoned"),
)
VERBS = ("said", "told reporters", "wrote", "insisted", "claimed", "confirmed", "denied")
OUTLETS = (
    "The Daily Ledger",
    "Caucasus Courier",
    "Nordic Wire",
    "Gazeta Północna",
    "Le Quotidien",
    "Río Informa",
)
FILLER_SUBJECTS = (
    "The situation",
    "Local residents",
    "Witnesses at the scene",
    "Officials in the capital",
    "Analysts",
    "The opposition",
    "Aid workers",
    "Journalists on the ground",
)
FILLER_PREDICATES = (
    "remained tense throughout the week",
    "asked for an independent investigation",
    "could not be reached for comment",
    "described the events in very different terms",
    "pointed to satellite images published earlier",
    "said the figures would be revised",
    "met behind closed doors on Tuesday",
    "called for calm — and for patience",
    "questioned the timing of the announcement",
    "noted that earlier reports had been contradicted",
)
BOILERPLATE = (
    "Read more: latest news from the region.",
    "Подписывайтесь на наш канал, чтобы не пропустить новости.",
    "© All rights reserved. Reproduction only with a link to the source.",
)


@dataclass
class Placed:
    """One claim sentence at its offsets in one document."""

    doc: int
    start: int
    end: int


@dataclass(frozen=True)
class Summary:
    """What `generate` wrote."""

    docs: int
    claims: int
    appearances: int
    quotes: int
    urls: int
    verdicts: dict[str, int]
    busiest: str
    busiest_claims: int
    characters: int

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return dict(self.__dict__)


def doc_id(seed: int, i: int) -> str:
    """The id of document `i`: a number and a hash, like the shipped seeds' ids."""
    digest = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:16]
    return f"{i:05d}_{digest}"


def claim_sentence(rng: random.Random, j: int) -> tuple[str, str]:
    """The statement of claim `j` (unique: it carries `j`) and its claimant."""
    person = rng.choice(PEOPLE)
    things, happened = rng.choice(THINGS)
    place = rng.choice(PLACES)
    day = EPOCH.date() - timedelta(days=rng.randrange(900))
    count = f"{j + 3:,}"
    form = j % 4
    if form == 0:
        text = f"{count} {things} {happened} near {place} on {day:%d %B %Y}"
        return f"“{text},” {person} {rng.choice(VERBS)}.", person
    if form == 1:
        org = rng.choice(ORGS)
        text = f"According to {org}, {count} {things} {happened} in {place} by {day:%B %Y}."
        return text, org[4:] if org.startswith("the ") else org
    if form == 2:
        return (
            f"{person} {rng.choice(VERBS)} that exactly {count} {things} {happened} in {place}, "
            f"not the figure given by {rng.choice(ORGS)}.",
            person,
        )
    return (
        f"In {place}, {count} {things} {happened} after {day:%d.%m.%Y} — "
        f"so {person} {rng.choice(VERBS)}.",
        person,
    )


def filler(rng: random.Random) -> str:
    """A sentence around the claims."""
    return f"{rng.choice(FILLER_SUBJECTS)} {rng.choice(FILLER_PREDICATES)}."


def article(
    rng: random.Random, title: str, sentences: list[tuple[int, str]]
) -> tuple[str, list[tuple[int, int, int]]]:
    """An article's text with the claim sentences `(claim, sentence)` among filler paragraphs,
    and where each claim sentence is: `(claim, start, end)`."""
    items: list[tuple[int, str]] = [(-1, filler(rng)) for _ in range(rng.randint(14, 26))]
    for item in sentences:
        items.insert(rng.randint(0, len(items)), item)
    parts = [title, "\n\n"]
    pos = len(title) + 2
    spans: list[tuple[int, int, int]] = []
    in_paragraph = 0
    paragraph_size = rng.randint(3, 6)
    for k, (claim, sentence) in enumerate(items):
        if in_paragraph == paragraph_size:
            parts.append("\n\n")
            pos += 2
            in_paragraph = 0
            paragraph_size = rng.randint(3, 6)
        elif k:
            parts.append(" ")
            pos += 1
        if claim >= 0:
            spans.append((claim, pos, pos + len(sentence)))
        parts.append(sentence)
        pos += len(sentence)
        in_paragraph += 1
    tail = "\n\n" + "\n".join(rng.sample(BOILERPLATE, 2)) + "\n"
    parts.append(tail)
    return "".join(parts), spans


def generate(docs: int, claims: int, out: Path, seed: int = 0) -> Summary:
    """Write `out/seeds`, `out/store` and `out/bench-corpus.json`.

    :raise ValueError: bad counts, or an output folder that already holds files.
    """
    if docs < 1:
        raise ValueError("--docs must be at least 1")
    if claims < 0:
        raise ValueError("--claims must not be negative")
    seeds_dir, store_dir = out / "seeds", out / "store"
    for folder in (seeds_dir, store_dir):
        if folder.exists() and any(folder.iterdir()):
            raise ValueError(f"{folder} already holds files; give an empty or new --out")
    rng = random.Random(seed)
    ids = [doc_id(seed, i) for i in range(docs)]

    # Which claims appear where: the first BUSIEST claims all appear in document 0.
    statements: list[tuple[str, str]] = [claim_sentence(rng, j) for j in range(claims)]
    where: list[list[int]] = []
    per_doc: list[list[int]] = [[] for _ in range(docs)]
    for j in range(claims):
        k = min(docs, rng.choice((1, 1, 2, 2, 2, 3, 3, 4)))
        chosen = rng.sample(range(docs), k) if docs > 1 else [0]
        if j < BUSIEST and 0 not in chosen:
            chosen[0] = 0
        if j >= BUSIEST and docs > 1 and 0 in chosen:
            chosen.remove(0)
            chosen = chosen or [1 + j % (docs - 1)]
        where.append(chosen)
        for d in chosen:
            per_doc[d].append(j)

    # The documents, and where each claim's sentence landed in them.
    seeds_dir.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    placed: list[list[Placed]] = [[] for _ in range(claims)]
    characters = 0
    for i, did in enumerate(ids):
        place = rng.choice(PLACES)
        title = f"{rng.choice(FILLER_SUBJECTS)} in {place}: report {i + 1}"
        text, spans = article(rng, title, [(j, statements[j][0]) for j in per_doc[i]])
        texts.append(text)
        characters += len(text)
        for j, start, end in spans:
            placed[j].append(Placed(i, start, end))
        published = EPOCH.date() - timedelta(days=rng.randrange(700))
        meta = {
            "author": rng.choice(PEOPLE) if rng.random() < 0.7 else None,
            "language": "en",
            "notes": None,
            "outlet": rng.choice(OUTLETS),
            "published": published.isoformat(),
            "title": title,
            "url": f"https://news.example.org/{published:%Y/%m}/{did}" if i % 3 else None,
        }
        (seeds_dir / f"{did}.txt").write_bytes(text.encode("utf-8"))
        (seeds_dir / f"{did}.json").write_bytes(to_json(meta).encode("utf-8"))

    def anchor(p: Placed) -> Anchor:
        return make_anchor(ids[p.doc], texts[p.doc], p.start, p.end)

    # The claims, through the service's own `revise` with a clock of the generator's.
    store_dir.mkdir(parents=True, exist_ok=True)
    verdicts = {"unreviewed": 0, "confirmed": 0, "denied": 0, "disputed": 0}
    appearances = quotes = urls = 0
    clock = [EPOCH]
    with mock.patch.object(record_clock, "now", lambda: clock[0]):
        for j in range(claims):
            statement, claimant = statements[j]
            cid = f"{slugify(statement, 6)[:60].strip('-')}-{j}"
            created = EPOCH + timedelta(minutes=j, seconds=rng.randrange(60))
            creator = rng.choice(PEOPLE)
            anchors = [anchor(p) for p in placed[j]]
            appearances += len(anchors)
            claim = Claim(
                id=cid,
                version=1,
                statement=statement,
                claimant=claimant,
                claimant_type="Person" if claimant in PEOPLE else "Organization",
                claim_date=created.date() - timedelta(days=rng.randrange(30)),
                appearances=anchors,
                created_at=created,
                created_by=creator,
                updated_at=created,
                history=[Change(version=1, at=created, by=creator, action="created")],
            )
            verdict = rng.choice(("unreviewed", "unreviewed", "confirmed", "denied", "disputed"))
            verdicts[verdict] += 1
            if verdict != "unreviewed":
                stances = {
                    "confirmed": ["supports", "context"],
                    "denied": ["refutes"],
                    "disputed": ["supports", "refutes"],
                }[verdict][: rng.randint(1, 2)]
                if verdict == "disputed":
                    stances = ["supports", "refutes"]
                sources: list[Source] = []
                for n, stance in enumerate(stances + ["context"] * rng.randint(0, 1)):
                    if claims > 1 and (n == 0 or rng.random() < 0.7):
                        other = rng.randrange(claims - 1)
                        other += other >= j
                        spot = rng.choice(placed[other])
                        sources.append(Source(stance=stance, quote=anchor(spot)))  # type: ignore[arg-type]
                        quotes += 1
                    else:
                        sources.append(
                            Source(
                                stance=stance,  # type: ignore[arg-type]
                                url=f"https://evidence.example.org/{cid}/{n}",
                                title=f"Records on {statement[:60].rstrip()}…",
                                publisher=rng.choice(OUTLETS),
                                date=created.date(),
                            )
                        )
                        urls += 1
                reviewer = rng.choice(PEOPLE)
                clock[0] = created + timedelta(hours=rng.randint(1, 72))
                claim = revise(
                    claim,
                    {
                        "verdict": verdict,
                        "rationale": f"The {verdict} verdict rests on the sources cited "
                        f"({len(sources)}); see the quotes for what each outlet says.",
                        "sources": sources,
                        "reviewer": reviewer,
                    },
                    reviewer,
                    "verdict",
                    reviewed=True,
                )
            if rng.random() < 0.2:
                editor = rng.choice(PEOPLE)
                clock[0] = claim.updated_at + timedelta(minutes=rng.randint(5, 600))
                claim = revise(
                    claim,
                    {"claim_date": claim.created_at.date() - timedelta(days=rng.randint(31, 90))},
                    editor,
                    "edited",
                )
            (store_dir / f"{cid}.json").write_bytes(dumps(claim).encode("utf-8"))

    summary = Summary(
        docs=docs,
        claims=claims,
        appearances=appearances,
        quotes=quotes,
        urls=urls,
        verdicts=verdicts,
        busiest=ids[0],
        busiest_claims=len(per_doc[0]),
        characters=characters,
    )
    (out / "bench-corpus.json").write_text(
        to_json({**summary.as_dict(), "seed": seed}), encoding="utf-8"
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a corpus and say what was written and how long it took."""
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    parser.add_argument("--docs", type=int, required=True, help="number of documents")
    parser.add_argument("--claims", type=int, required=True, help="number of claims")
    parser.add_argument("--out", type=Path, required=True, help="folder for seeds/ and store/")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        summary = generate(args.docs, args.claims, args.out, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - started
    print(
        f"wrote {summary.docs} documents ({summary.characters:,} characters) to "
        f"{args.out / 'seeds'} and {summary.claims} claims ({summary.appearances} appearances, "
        f"{summary.quotes} quoted and {summary.urls} URL sources) to {args.out / 'store'} "
        f"in {took:.1f} s"
    )
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in summary.verdicts.items()))
    print(f"busiest document: {summary.busiest} with {summary.busiest_claims} claims")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
