"""Encoding a claim file: the standard library's indenting encoder beside the store's (orjson).

    python -m bench.encode [--store fixtures] [--rounds 20]

Both must give the same bytes (checked); prints the time per claim of each and the ratio, for
the claims as they are and for the same claims after 200 more history entries (a hot claim).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from annotate.record.store import to_json

ROOT = Path(__file__).resolve().parent.parent


def stdlib(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def pretty(data: Any) -> bytes:
    return to_json(data).encode()


def best(fn: Any, items: list[Any], rounds: int) -> float:
    """Best time per item over `rounds` passes, in ms."""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for d in items:
            fn(d)
        times.append((time.perf_counter() - t0) / len(items) * 1000)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.encode", description=__doc__.split("\n")[0])
    p.add_argument("--store", type=Path, default=ROOT / "fixtures")
    p.add_argument("--rounds", type=int, default=20)
    args = p.parse_args(argv)
    claims = [json.loads(f.read_bytes()) for f in sorted(args.store.glob("*.json"))]
    hot = []
    for c in claims:
        extra = [
            dict(h, version=len(c["history"]) + i + 1)
            for i in range(200)
            for h in c["history"][-1:]
        ]
        hot.append(dict(c, history=c["history"] + extra))
    for label, items in (("as stored", claims), ("with 200 more history entries", hot)):
        assert all(stdlib(d) == pretty(d) for d in items), "the encoders disagree"
        size = sum(len(pretty(d)) for d in items) / len(items)
        a, b = best(stdlib, items, args.rounds), best(pretty, items, args.rounds)
        print(
            f"{len(items)} claims {label} (mean {size / 1024:.1f} KiB): json.dumps {a:.3f} ms, "
            f"store (orjson) {b:.3f} ms per claim: {a / b:.0f}x faster, same bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
