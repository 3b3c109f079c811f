"""Near-duplicate finder: 100,000 x 100,000 generated 200-bp sequences with planted copies.

Usage::

    nice -n 10 python benchmarks/overlaps.py [--n 100000] [--length 200] [--planted 1000]
        [--decoys 1000] [--threads 2] [--k 14] [--seed 0]

Train and test sequences are uniform random (seeded).  ``--planted`` test
sequences are replaced by copies of random training sequences with
``round((1 - q) * length)`` substitutions, ``q`` uniform in [0.90, 1.00] (so
their identity is at least 0.90); half of them are reverse-complemented.
``--decoys`` more test sequences are copies at identity uniform in
[0.60, 0.85], which must not be reported.  :func:`find_overlaps` runs once
(after a small warm-up call, so numba compilation is not timed) at
``identity=0.9``.  Recall is the fraction of planted pairs reported (any
kind); precision the fraction of reported pairs that are planted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _machine import machine_info  # noqa: E402

from enhancer_sk.evaluation.leakage import find_overlaps  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.sequence.codes import codes_to_strings  # noqa: E402


def _copies(rng, source: np.ndarray, q: np.ndarray, rc: np.ndarray) -> np.ndarray:
    """Copies of code rows with ``round((1 - q) * length)`` substitutions, some reverse-complemented."""
    out = source.copy()
    length = source.shape[1]
    for row, qi in zip(out, q):
        m = int(round((1 - qi) * length))
        pos = rng.choice(length, m, replace=False)
        row[pos] = (row[pos] + rng.integers(1, 4, m)) % 4
    out[rc] = 3 - out[rc][:, ::-1]
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--planted", type=int, default=1000)
    parser.add_argument("--decoys", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--k", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    train = rng.integers(0, 4, (args.n, args.length), dtype=np.uint8)
    test = rng.integers(0, 4, (args.n, args.length), dtype=np.uint8)
    slots = rng.permutation(args.n)[: args.planted + args.decoys]
    sources = rng.integers(0, args.n, args.planted + args.decoys)
    q = np.concatenate([rng.uniform(0.90, 1.0, args.planted), rng.uniform(0.60, 0.85, args.decoys)])
    rc = rng.random(q.size) < 0.5
    test[slots] = _copies(rng, train[sources], q, rc)
    planted = set(zip(sources[: args.planted].tolist(), slots[: args.planted].tolist()))
    X_train, X_test = codes_to_strings(train), codes_to_strings(test)

    find_overlaps(X_train[:50], X_test[:50], k=args.k, threads=args.threads)  # numba warm-up
    start = time.perf_counter()
    table = find_overlaps(X_train, X_test, identity=0.9, k=args.k, threads=args.threads)
    wall = time.perf_counter() - start

    found = set(zip(table["train_index"].tolist(), table["test_index"].tolist()))
    hits = len(found & planted)
    recall = hits / len(planted)
    precision = hits / len(found) if found else 1.0
    missed_q = sorted(
        float(1 - round((1 - qi) * args.length) / args.length)
        for (s, t), qi in zip(zip(sources[: args.planted], slots[: args.planted]), q)
        if (int(s), int(t)) not in found
    )
    kinds = {kind: int(np.sum(table["kind"] == kind)) for kind in ("exact", "reverse_complement", "near")}
    print(
        f"# find_overlaps: {args.n:,} x {args.n:,} sequences of {args.length} bp, k={args.k}, "
        f"threads={args.threads}, seed {args.seed}"
    )
    print(machine_info())
    print()
    print(
        format_table(
            [
                {
                    "sequences": f"{args.n:,} x {args.n:,}",
                    "planted (0.90-1.00)": args.planted,
                    "decoys (0.60-0.85)": args.decoys,
                    "reported": len(table),
                    "exact / rc / near": f"{kinds['exact']} / {kinds['reverse_complement']} / {kinds['near']}",
                    "wall time (s)": f"{wall:.1f}",
                    "recall": recall,
                    "precision": precision,
                    "peak memory (GB)": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f}",
                }
            ],
            digits=4,
        )
    )
    if missed_q:
        print(f"\nmissed planted pairs at identity: {', '.join(f'{x:.3f}' for x in missed_q)}")


if __name__ == "__main__":
    main()
