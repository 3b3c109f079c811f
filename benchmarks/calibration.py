"""Calibration of the fast models on iEnhancer-2L layer 1: ECE and Brier score before / after.

Usage::

    nice -n 10 python benchmarks/calibration.py [--models gc kmer gkm] [--folds 5] [--inner-folds 5]
        [--n-bins 10] [--threads 2] [--plot reliability.png]

iEnhancer-2L layer 1, standard-protocol training set (2,968 sequences; needs
``ENHANCER_SK_DATA``), stratified ``--folds``-fold cross-validation (shuffled,
seed 0, the same folds for every model).  For each model of
:mod:`enhancer_sk.presets` and each fold:

* *before*: ``build_model(name)`` fitted on the training part, ``predict_proba``
  of the held-out part (the SVMs' own probabilities come from libsvm-style
  Platt scaling on internal folds; the GC baseline is a logistic regression);
* *sigmoid* / *isotonic*: :func:`enhancer_sk.evaluation.calibration.calibrate`
  (scikit-learn's ``CalibratedClassifierCV``, ``--inner-folds`` inner folds)
  fitted on the same training part only, so calibration is nested inside the
  outer CV.  The SVMs are wrapped with ``probability=False``: the calibrator
  is fitted on their decision values.

The out-of-fold probabilities are pooled over the folds and scored: ECE
(10 equal-width bins), Brier score and AUROC (ranking, for reference), and
the issue's targets are checked: ECE after <= 0.03, and Brier no worse than
before, both strictly and as "not resolvably worse" (the paired bootstrap 95%
interval of Brier after - before, resampling sequences, reaches 0 or below).
Prints a Markdown table and the machine line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from enhancer_sk.datasets.ienhancer2l import load_ienhancer2l  # noqa: E402
from enhancer_sk.evaluation.calibration import calibrate, calibration_report  # noqa: E402
from enhancer_sk.evaluation.metrics import format_table  # noqa: E402
from enhancer_sk.presets import build_model  # noqa: E402

TARGET_ECE = 0.03
METHODS = ("sigmoid", "isotonic")


def _brier_difference_ci(y, after, before, *, n_resamples: int = 2000, seed: int = 0):
    """Brier(after) - Brier(before) and its 95% paired percentile-bootstrap interval (resampling sequences)."""
    diff = (after - y) ** 2 - (before - y) ** 2
    rng = np.random.default_rng(seed)
    means = np.array([diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(n_resamples)])
    low, high = np.quantile(means, [0.025, 0.975])
    return float(diff.mean()), float(low), float(high)


def _base_for_calibration(model):
    """The model without its own Platt scaling (the calibrator replaces it)."""
    if "probability" in model.get_params(deep=False):
        return clone(model).set_params(probability=False)
    return clone(model)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["gc", "kmer", "gkm"])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--inner-folds", type=int, default=5)
    parser.add_argument("--n-bins", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plot", help="also save reliability diagrams (one panel per model) there")
    args = parser.parse_args(argv)

    if not os.environ.get("ENHANCER_SK_DATA"):
        print("ENHANCER_SK_DATA is not set: skipping the iEnhancer-2L calibration benchmark "
              "(point it at the folder holding ienhancer2l/).")
        return 0
    X, y = load_ienhancer2l(1, "train", download_if_missing=False)
    print(machine_info())
    print(f"\n## iEnhancer-2L layer 1 (standard protocol training set, n={len(X)}): "
          f"{args.folds}-fold CV, calibration nested with {args.inner_folds} inner folds\n", flush=True)

    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y))
    rows, oof_all, passed, passed_strict = [], {}, True, True
    for name in args.models:
        model = build_model(name, seed=0, threads=args.threads)
        candidates = {"before": model, **{m: calibrate(_base_for_calibration(model), m, cv=args.inner_folds)
                                          for m in METHODS}}
        oof = {k: np.empty(len(y)) for k in candidates}
        seconds = dict.fromkeys(candidates, 0.0)
        for train, test in folds:
            for key, est in candidates.items():
                start = time.perf_counter()
                fitted = clone(est).fit(X[train], y[train])
                oof[key][test] = fitted.predict_proba(X[test])[:, 1]
                seconds[key] += time.perf_counter() - start
        oof_all[name] = oof
        for key in candidates:
            rep = calibration_report(y, oof[key], n_bins=args.n_bins)["before"]
            row = {"model": name, "probabilities": "model's own" if key == "before" else key,
                   "ECE": rep["ece"], "Brier": rep["brier"], "AUROC": float(roc_auc_score(y, oof[key])),
                   "fit+predict s": f"{seconds[key]:.1f}"}
            if key != "before":
                delta, low, high = _brier_difference_ci(y, oof[key], oof["before"])
                row["ΔBrier [95% CI]"] = f"{delta:+.4f} [{low:+.4f}, {high:+.4f}]"
                strict = rep["ece"] <= TARGET_ECE and delta <= 0
                ok = rep["ece"] <= TARGET_ECE and low <= 0  # not resolvably worse
                row["target (strict)"] = "yes" if strict else "no"
                row["target (CI)"] = "yes" if ok else "no"
                passed_strict &= strict
                passed &= ok
            rows.append(row)
        print(f"{name}: done ({sum(seconds.values()):.0f} s, load avg {os.getloadavg()[0]:.2f})", flush=True)

    print()
    print(format_table(rows, ["model", "probabilities", "ECE", "Brier", "ΔBrier [95% CI]", "AUROC",
                              "target (strict)", "target (CI)", "fit+predict s"],
                       digits=4))
    print(f"\nECE: {args.n_bins} equal-width bins, out-of-fold probabilities pooled over the folds. "
          f"Target (issue 18): ECE after calibration <= {TARGET_ECE} and Brier no worse than before: "
          f"strictly (Brier after <= before) {'met' if passed_strict else 'NOT met'} by every calibrated model; "
          f"with 'no worse' read as 'the paired bootstrap 95% CI of Brier after - before reaches 0 or below' "
          f"{'met' if passed else 'NOT met'} by every calibrated model.")

    if args.plot:
        from enhancer_sk.evaluation.plots import new_figure, reliability_diagram, save_figure

        fig = new_figure(5.0 * len(oof_all), 5.0)
        axes = np.atleast_1d(fig.subplots(1, len(oof_all)))
        for ax, (name, oof) in zip(axes, oof_all.items()):
            reliability_diagram(y, oof, n_bins=args.n_bins, ax=ax, title=name)
        fig.tight_layout()
        print(f"reliability diagrams: {save_figure(fig, args.plot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
