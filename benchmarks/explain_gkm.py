"""GkmSVM explanations: exact in-silico mutagenesis and GkmExplain, wall time and peak memory.

Usage::

    nice -n 10 python benchmarks/explain_gkm.py [--n 1000] [--length 200] [--threads 2] [--repeats 3]

The model is LS-GKM's own NFE2 model (``$ENHANCER_SK_DATA/lsgkm_tests/nfe2_gm12878.model.txt``,
l=10, k=6, d=3, ``gkm_esttrunc``, 958 support vectors; the data home defaults to
``/work/shared/data``) when present, else a GkmSVM with the same parameters fitted on 2,000 generated
sequences (``make_synthetic_enhancers``).  The sequences explained are ``--n`` generated sequences of
``--length`` bp (seed 1).  For each of :func:`~enhancer_sk.interpret.gkm.gkm_ism` (``3 L`` exact
substitution effects per sequence), :func:`~enhancer_sk.interpret.gkm.gkm_explain` (importance) and
``gkm_explain(hypothetical=True)``: the best wall time of ``--repeats`` runs on ``--threads`` numba
threads after a warm-up (numba compilation excluded), and the peak resident memory of the process so
far (``resource.getrusage``: a running maximum, so each row includes the rows above it).  For
reference, the same model's ``decision_function`` on the ``3 L n`` mutant sequences is timed on a
subset and extrapolated.  The machine is shared: the load average is printed beside the table.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import best_time, machine_info  # noqa: E402

from enhancer_sk.datasets.synthetic import make_synthetic_enhancers  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.interpret.gkm import gkm_explain, gkm_ism  # noqa: E402
from enhancer_sk.models.svm.gkm import GkmSVM  # noqa: E402

PARAMS = {"l": 10, "k": 6, "d": 3, "kernel": "gkm_esttrunc"}


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (``ru_maxrss`` is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_model(threads: int) -> tuple[GkmSVM, str]:
    home = Path(os.environ.get("ENHANCER_SK_DATA", "/work/shared/data"))
    path = home / "lsgkm_tests" / "nfe2_gm12878.model.txt"
    if path.exists():
        return GkmSVM.from_lsgkm(path, threads=threads), f"LS-GKM NFE2 model ({path.name})"
    X, y = make_synthetic_enhancers(2000, length=200, random_state=0)
    model = GkmSVM(**PARAMS, threads=threads).fit(X, y)
    return model, f"GkmSVM fitted on 2,000 generated sequences ({len(model.dual_coef_)} SVs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--length", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    model, source = load_model(args.threads)
    X, _ = make_synthetic_enhancers(args.n, length=args.length, random_state=1)
    X = list(X)
    memory_before = peak_mb()
    gkm_ism(model, X[:2])  # numba compilation
    gkm_explain(model, X[:2], hypothetical=True)
    gkm_explain(model, X[:2])

    rows = []
    cases = [
        ("gkm_ism", lambda: gkm_ism(model, X, threads=args.threads)),
        ("gkm_explain", lambda: gkm_explain(model, X, threads=args.threads)),
        ("gkm_explain hypothetical", lambda: gkm_explain(model, X, hypothetical=True, threads=args.threads)),
    ]
    for name, fn in cases:
        seconds = best_time(fn, args.repeats)
        rows.append({"method": name, "seconds": f"{seconds:.2f}", "ms / sequence": f"{1000 * seconds / args.n:.2f}",
                     "peak MB": f"{peak_mb():.0f}", "load avg": f"{os.getloadavg()[0]:.2f}"})
        print(f"# {name}: {seconds:.2f} s", file=sys.stderr, flush=True)

    # brute force for comparison: decision_function on every mutant of a few sequences, extrapolated
    subset = X[:20]
    mutants = [s[:p] + b + s[p + 1:] for s in subset for p in range(len(s)) for b in "ACGT" if b != s[p]]
    t0 = time.perf_counter()
    model.decision_function(mutants)
    brute = (time.perf_counter() - t0) * args.n / len(subset)
    rows.append({"method": "re-predict all mutants (extrapolated)", "seconds": f"{brute:.1f}",
                 "ms / sequence": f"{1000 * brute / args.n:.2f}", "peak MB": f"{peak_mb():.0f}",
                 "load avg": f"{os.getloadavg()[0]:.2f}"})

    print(f"# GkmSVM explanations of {args.n} x {args.length}-bp sequences, {args.threads} threads, "
          f"best of {args.repeats}; model: {source}, l={model.l} k={model.k} d={model.d}")
    print(f"# peak memory before the runs (interpreter, numba, model, data): {memory_before:.0f} MB")
    print(f"# {machine_info()}")
    print(format_table(rows, index_name="method"))


if __name__ == "__main__":
    main()
