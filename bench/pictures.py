"""The timeline and the matrix at 1,000 and 10,000 claims: data, SVG and PNG, in one process.

Run as `python -m bench.pictures [--sizes 100,1000] [--work DIR] [--group 5]`. Corpora come
from `bench.corpus` (`DIR/d<docs>`, 10 claims a document, reused when there). Every `group`
claims (by id) are linked into one question in memory (each repeating or contradicting the
one before), as a desk that links its claims would have them; nothing is written to the
store. Prints the seconds of each step (the median of three runs), the picture's size and
the SVG's bytes. What a page or a download costs on top is reading the claims
(`every_claim`), printed first.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate.formats.common import ExportSettings
from annotate.formats.pictures import picture_data, png_of, svg_of
from annotate.record.models import Claim, Relation
from annotate.record.service import Workspace
from bench.corpus import generate


def median_seconds(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def linked(claims: list[Claim], group: int) -> list[Claim]:
    """The claims with every `group` of them (by id) linked into one question."""
    out = []
    for i, claim in enumerate(sorted(claims, key=lambda c: c.id)):
        if i % group:
            kind = "repeats" if i % 2 else "contradicts"
            prev = out[-1].id
            claim = claim.model_copy(update={"relations": [Relation(kind=kind, claim=prev)]})
        out.append(claim)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="documents (10 claims each)")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--group", type=int, default=5, help="claims per question")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-pictures-"))
    settings = ExportSettings()
    for docs in (int(s) for s in args.sizes.split(",")):
        out = work / f"d{docs}"
        if not (out / "bench-corpus.json").exists():
            generate(docs, docs * 10, out)
        ws = Workspace.open(out / "seeds", out / "store")
        read, claims = median_seconds(ws.every_claim)
        claims = linked(claims, args.group)
        print(f"{len(claims)} claims, {docs} documents: every_claim {read:.2f} s")
        for kind in ("timeline", "matrix"):
            data, pic = median_seconds(
                lambda k=kind, c=claims, w=ws: picture_data(k, c, w.corpus, settings)
            )
            svg_s, svg = median_seconds(lambda p=pic: svg_of(p))
            png_s, png = median_seconds(lambda s=svg: png_of(s, 1.0), runs=1)
            width, height = svg.split('width="', 1)[1].split('"')[0], svg.split('height="', 1)[1]
            print(
                f"  {kind:8} data {data:.2f} s · svg {svg_s:.2f} s ({len(svg) / 1e6:.1f} MB, "
                f"{width}×{height.split(chr(34))[0]} px) · png {png_s:.2f} s "
                f"({len(png) / 1e6:.1f} MB)"
            )


if __name__ == "__main__":
    main()
