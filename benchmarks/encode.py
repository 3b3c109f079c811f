"""Encoding throughput: one-hot, tokens and k-mer spectra of random 200 bp sequences.

Usage: python benchmarks/encode.py [--n 100000] [--length 200] [--repeats 3]
Prints the best-of-repeats wall time and sequences/s for each encoder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import best_time, machine_info  # noqa: E402

from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.sequence.encoders import KmerSpectrum, one_hot_encode, tokenize  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    raw = letters[rng.integers(0, 4, size=(args.n, args.length))].tobytes().decode()
    seqs = np.empty(args.n, dtype=object)
    seqs[:] = [raw[i * args.length : (i + 1) * args.length] for i in range(args.n)]
    mixed = np.empty(args.n, dtype=object)
    mixed[:] = [s[: 150 + (i % 101)] for i, s in enumerate(seqs)]  # 150..250 bp

    cases = {
        f"one-hot (n, 4, {args.length})": lambda: one_hot_encode(seqs),
        f"one-hot, lengths 150-250 -> {args.length} (crop/pad)": lambda: one_hot_encode(mixed, args.length),
        f"tokens (n, {args.length})": lambda: tokenize(seqs),
        "k-mer spectrum k=6 canonical (sparse)": lambda: KmerSpectrum(k=6, canonical_kmers=True).fit_transform(seqs),
    }
    rows = []
    for name, fn in cases.items():
        t = best_time(fn, args.repeats)
        rows.append({"encoder": name, "seconds": f"{t:.3f}", "sequences/s": f"{args.n / t:,.0f}"})
    print(f"# Encoding {args.n:,} sequences ({args.length} bp), best of {args.repeats}")
    print(f"# {machine_info()}")
    print(format_table(rows))


if __name__ == "__main__":
    main()
