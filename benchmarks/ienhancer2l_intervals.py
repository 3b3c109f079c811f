"""iEnhancer-2L independent test with 95% bootstrap intervals and paired differences against GC content.

Usage::

    ENHANCER_SK_DATA=... nice -n 10 python benchmarks/ienhancer2l_intervals.py [--threads 2]
        [--n-resamples 2000] [--layers 1 2]

For each layer (1: enhancer vs non-enhancer, 2: strong vs weak) and protocol
(``standard``: the published split; ``leak-free``: the 100 test strong
enhancers that are copies of training records dropped from training), the
recipes of :mod:`enhancer_sk.presets` (``gkm``, ``kmer``, ``gc``) are fitted on
the training set and score the independent test set; on the standard
protocol the authors' published Enhancer-LSTMAtt weights (data home
``enhancer_lstmatt_weights/``) score it too.  Every model's AUC, AUPRC, MCC
and Acc get a 95% stratified-bootstrap interval, and each model's difference
to the GC-content baseline a paired interval from the same resamples
(:func:`enhancer_sk.evaluation.bootstrap.paired_bootstrap`); a difference is
*resolvable* when its interval excludes 0.  MCC and Acc call a sequence
positive above 0 (SVM decision values) or 0.5 (probabilities).  Nothing is
chosen here: the models are the fixed recipes.  Prints Markdown tables and
the machine line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.datasets._base import get_data_home  # noqa: E402
from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l  # noqa: E402
from enhancer_sk.evaluation.bootstrap import paired_bootstrap  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402

MODELS = {"GkmSVM": "gkm", "KmerSVM": "kmer", "GC content + LR": "gc"}
BASELINE = "GC content + LR"
METRICS = ("AUC", "AUPRC", "MCC", "Acc")


def _scores(model, X) -> tuple[np.ndarray, float]:
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float), 0.0
    return model.predict_proba(X)[:, 1], 0.5


def _authors(layer: int, data_home, threads: int):
    from enhancer_sk.models.nn.lstmatt import EnhancerLSTMAttClassifier

    path = get_data_home(data_home) / "enhancer_lstmatt_weights" / f"layer{layer}.h5"
    if not path.exists():
        return None
    return EnhancerLSTMAttClassifier.from_keras_weights(path, threads=threads)


def run(layer: int, drop: bool, args) -> tuple[list[dict], list[dict]]:
    X, y = load_ienhancer2l(layer, "train", args.data_home, drop_test_duplicates=drop)
    X_test, y_test = load_ienhancer2l(layer, "test", args.data_home)
    scores, thresholds = {}, {}
    for name, recipe in MODELS.items():
        t0 = time.perf_counter()
        model = build_model(recipe, threads=args.threads).fit(X, y)
        scores[name], thresholds[name] = _scores(model, X_test)
        print(f"# layer {layer} {'leak-free' if drop else 'standard'}: {name} fitted and scored in "
              f"{time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if not drop:
        clf = _authors(layer, args.data_home, args.threads)
        if clf is not None:
            scores["authors' Enhancer-LSTMAtt"] = clf.predict_proba(X_test)[:, 1]
            thresholds["authors' Enhancer-LSTMAtt"] = 0.5
    intervals, differences = paired_bootstrap(y_test, scores, thresholds=thresholds,
                                              n_resamples=args.n_resamples, random_state=0)
    protocol = "leak-free" if drop else "standard"
    cells: dict[str, dict] = {}
    for r in intervals:
        row = cells.setdefault(r["model"], {"layer": layer, "protocol": protocol, "train": len(y),
                                            "test": len(y_test), "model": r["model"]})
        row[r["metric"]] = f"{r['score']:.3f} [{r['low']:.3f}, {r['high']:.3f}]"
    versus = []
    for r in differences:
        if BASELINE not in (r["model_a"], r["model_b"]):
            continue
        sign = 1 if r["model_b"] == BASELINE else -1
        other = r["model_a"] if sign == 1 else r["model_b"]
        low, high = sorted((sign * r["low"], sign * r["high"]))
        versus.append({"layer": layer, "protocol": protocol, "model": other, "metric": r["metric"],
                       "minus GC": f"{sign * r['difference']:+.3f} [{low:+.3f}, {high:+.3f}]",
                       "resolvable": "yes" if r["resolvable"] else "no"})
    return list(cells.values()), versus


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="data home (default: ENHANCER_SK_DATA)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-resamples", type=int, default=2000)
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    args = parser.parse_args()
    print(machine_info())
    start = time.perf_counter()
    table, versus = [], []
    for layer in args.layers:
        for drop in (False, True):
            rows, diffs = run(layer, drop, args)
            table += rows
            versus += diffs
    print(f"\n## Independent test, score [95% bootstrap interval], {args.n_resamples} stratified resamples\n")
    print(format_table(table, columns=["layer", "protocol", "train", "test", "model", *METRICS]))
    print("\n## Difference to GC content + LR on the same resamples (paired 95% interval)\n")
    print(format_table(versus, columns=["layer", "protocol", "model", "metric", "minus GC", "resolvable"]))
    print(f"\n# {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
