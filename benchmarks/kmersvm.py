"""KmerSVM on iEnhancer-2L: fit / predict time and independent-test scores.

Usage: ENHANCER_SK_DATA=/path/to/data python benchmarks/kmersvm.py [--layers 1 2] [--configs default ...]

For each layer, trains on the full training set and on the training set
without the sequences duplicated in the test set (``drop_test_duplicates``),
then scores the independent test: Sn, Sp, Acc (threshold: decision value 0),
MCC, AUC, with the time of ``fit`` (including the 5 extra fits of Platt
scaling) and of ``predict_proba`` on the test set.  Besides KmerSVM it runs the
GC-content + logistic regression floor.  No parameter is tuned on the test set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402

from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l  # noqa: E402
from enhancer_sk.evaluation.metrics import PAPER_COLUMNS, format_table, paper_scores  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402

CONFIGS = {
    "default": {},  # k=6 canonical, l2, RBF SVC, C=1
    "linear": {"kernel": "linear"},
    "k1-6": {"k": (1, 6)},
    "liblinear k1-6": {"svm": "linear", "k": (1, 6)},
}


def build(config: str):
    if config == "gc":
        return "GC content + LR", build_model("gc")
    return f"KmerSVM {config}", build_model("kmer").set_params(**CONFIGS[config])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--configs", nargs="+", default=["default", "linear", "k1-6", "liblinear k1-6", "gc"],
                        help=f"from {', '.join([*CONFIGS, 'gc'])}")
    args = parser.parse_args()

    rows = []
    for layer in args.layers:
        X_test, y_test = load_ienhancer2l(layer=layer, split="test")
        for drop in (False, True):
            X, y = load_ienhancer2l(layer=layer, split="train", drop_test_duplicates=drop)
            for config in args.configs:
                name, model = build(config)
                t0 = time.perf_counter()
                model.fit(X, y)
                fit_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                proba = model.predict_proba(X_test)[:, 1]
                predict_s = time.perf_counter() - t0
                decision = model.decision_function(X_test)
                scores = paper_scores(y_test, decision, threshold=0.0)
                scores["AUC"] = paper_scores(y_test, proba)["AUC"]
                rows.append({
                    "layer": layer, "train": f"{len(X)}{' (dedup)' if drop else ''}", "model": name,
                    **{c: scores[c] for c in PAPER_COLUMNS},
                    "fit s": f"{fit_s:.2f}", "predict s": f"{predict_s:.3f}",
                })
                print(f"# layer {layer} n={len(X)} {name}: AUC {scores['AUC']:.3f} fit {fit_s:.1f} s",
                      file=sys.stderr, flush=True)
    print("# KmerSVM on iEnhancer-2L, independent test (400 / 200 sequences); fit includes Platt scaling")
    print(f"# {machine_info()}")
    print(format_table(rows, digits=3))


if __name__ == "__main__":
    main()
