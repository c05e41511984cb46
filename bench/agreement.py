"""What the agreement figures cost the server: memory (RSS) and time of importing each way of
computing them, and of computing them over generated reviews, each in a fresh process.

    python -m bench.agreement [--claims 100000] [--reviewers 20] [--documents 10000] [--team 4]

Each claim is in one document and gets two or three reviews from that document's team of
reviewers (drawn from all of them; `--team 0`: any reviewers), with skewed verdicts (70%
confirmed, 20% denied, 10% disputed). The size of the result, and so of the figures' cost,
grows with the pairs of reviewers that share claims in each document. The ways measured: this
project's `annotate.record.agreement.agreement` (all figures, overall and per document, as one
result: "annotate"; or the head and then one document at a time from `iter_documents`, each
turned into JSON and dropped: "annotate-stream"), and the libraries
docs/development.md weighed for it: `krippendorff.alpha` (one figure, overall only) and
statsmodels' `fleiss_kappa` and `cohens_kappa` (overall Fleiss on the claims of three reviews,
Cohen for one pair). The libraries are dev dependencies.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, random, resource, sys, time

def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024

claims, reviewers, documents, team = (int(a) for a in sys.argv[1:5])
way = sys.argv[5]
rng = random.Random(1)
names = [f"r{i:02d}" for i in range(reviewers)]
teams = [rng.sample(names, team or reviewers) for _ in range(documents)]
verdicts = ("confirmed", "denied", "disputed")
rows = []
for c in range(claims):
    doc = rng.randrange(documents)
    who = rng.sample(teams[doc], rng.choice((2, 3)))
    rows.append((f"c{c}", (f"d{doc}",),
                 {n: rng.choices(verdicts, (70, 20, 10))[0] for n in who}))
base = rss()
t0 = time.perf_counter()
if way.startswith("annotate"):
    from annotate.record.agreement import Rated, agreement, iter_documents
elif way == "krippendorff":
    import numpy as np, krippendorff
else:
    import numpy as np
    from statsmodels.stats.inter_rater import cohens_kappa, fleiss_kappa
imported = rss()
t1 = time.perf_counter()
if way == "annotate":
    result = agreement([Rated(c, d, v) for c, d, v in rows])
    size = len(json.dumps(result))
elif way == "annotate-stream":
    items = [Rated(c, d, v) for c, d, v in rows]
    size = len(json.dumps(agreement(items, with_documents=False)))
    for _, block in iter_documents(items):
        size += len(json.dumps(block))
elif way == "krippendorff":
    index = {n: i for i, n in enumerate(names)}
    data = np.full((reviewers, claims), np.nan)
    for u, (_, _, v) in enumerate(rows):
        for n, verdict in v.items():
            data[index[n], u] = verdicts.index(verdict)
    krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
else:
    threes = [list(v.values()) for _, _, v in rows if len(v) == 3]
    table = np.array([[unit.count(k) for k in verdicts] for unit in threes])
    fleiss_kappa(table)
    pair = np.zeros((3, 3))
    for _, _, v in rows:
        if "r00" in v and "r01" in v:
            pair[verdicts.index(v["r00"]), verdicts.index(v["r01"])] += 1
    cohens_kappa(pair)
t2 = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
json_mb = size / 1e6 if way.startswith("annotate") else 0
print(json.dumps({"way": way, "json_mb": json_mb, "import_mb": imported - base, "import_s": t1 - t0,
                  "compute_s": t2 - t1, "peak_over_data_mb": peak - base}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument(
        "--team", type=int, default=4, help="reviewers per document (0: any of all reviewers)"
    )
    args = parser.parse_args()
    print(
        f"{args.claims} claims, {args.reviewers} reviewers, {args.documents} documents, "
        f"{args.team or args.reviewers} reviewers per document"
    )
    print(
        f"{'way':<16}{'import MB':>10}{'import s':>10}{'compute s':>11}{'peak MB':>9}{'JSON MB':>9}"
    )
    for way in ("annotate", "annotate-stream", "krippendorff", "statsmodels"):
        argv = [str(a) for a in (args.claims, args.reviewers, args.documents, args.team, way)]
        out = subprocess.run(
            [sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout)
        print(
            f"{way:<16}{r['import_mb']:>10.1f}{r['import_s']:>10.2f}{r['compute_s']:>11.2f}"
            f"{r['peak_over_data_mb']:>9.1f}{r['json_mb']:>9.1f}"
        )
    print("peak MB: the process's peak RSS over its RSS once the reviews were built")


if __name__ == "__main__":
    main()
