"""Enhancers of any length: every model on the VISTA benchmark (in-vivo tested elements, 0.2-12 kb).

Usage::

    ENHANCER_SK_DATA=/path/to/data nice python benchmarks/vista.py [--threads 2] [--seed 0]
        [--parts test cv] [--models gc length kmer gkm deepenhancer lstmatt-crop lstmatt-windows]
        [--folds 3] [--ensemble 3] [--ensemble-models deepenhancer] [--json out.json] [--quick]

Data: :func:`enhancer_sk.load_vista` (2,120 VISTA elements, positive = reproducible
expression in a mouse embryo at E11.5), with its chromosome split: test = every element
on chr1 or chr2 (415), train = the rest (1,705).  Parts:

* ``test``: fit on the training part, score the test part; AUROC and AUPRC with 95%
  stratified-bootstrap intervals (:func:`enhancer_sk.evaluation.metrics.bootstrap_ci`,
  2,000 resamples), fit and predict wall times;
* ``cv``: ``GroupKFold`` on the training part with the species-qualified chromosome as the
  group (nearby elements stay together), out-of-fold AUROC / AUPRC pooled over the folds
  with their bootstrap intervals, and the per-fold mean +- std.  Choices between models or
  modes are made here, never on the test part.

Models (all built as the command line builds them, :mod:`enhancer_sk.presets`, ``full``):

* ``gc`` / ``length``: GC content / log length + logistic regression, the floors;
* ``kmer``: KmerSVM; ``gkm``: GkmSVM (l=11, k=7, d=3);
* ``deepenhancer``: DeepEnhancerCNN, 300-bp windows at stride 2, 4 windows per sequence
  and epoch re-drawn every epoch, validation and prediction by max over all windows;
* ``lstmatt-crop``: Enhancer-LSTMAtt with the input length set to the training part's
  median length, every sequence centre-cropped / N-padded to it;
* ``lstmatt-windows``: Enhancer-LSTMAtt on 300-bp windows (stride 50, 4 windows per
  sequence and epoch), max over windows;
* ``--ensemble N``: seed ensembles (mean probability of N networks, seeds ``seed`` ..
  ``seed + N - 1``) of the ``--ensemble-models`` (test part only).

Part ``tissues``: which tissue a positive element drives expression in (a multi-label task):
for each of the ``--tissues`` most frequent tissues, one binary task on the positive elements
(expression in that tissue or not), trained on the training part and scored on the test part
with the ``--tissue-models`` (default: the fast ones, GC, length and KmerSVM).

The README's VISTA table is this script's output.  ``--quick`` subsamples (300 train /
150 test sequences, 2 folds, 2 epochs) to check the script in minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine_info  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from enhancer_sk.datasets.vista import load_vista  # noqa: E402
from enhancer_sk.evaluation.metrics import bootstrap_ci, format_table  # noqa: E402
from enhancer_sk.models.meta.ensemble import SeedEnsembleClassifier  # noqa: E402
from enhancer_sk.presets import build_model, feature_baseline  # noqa: E402
from enhancer_sk.sequence.encoders import SequenceLength  # noqa: E402

MODELS = ("gc", "length", "kmer", "gkm", "deepenhancer", "lstmatt-crop", "lstmatt-windows")
#: window of Enhancer-LSTMAtt's windowed mode (DeepEnhancer's), its step and windows per sequence and epoch
LSTMATT_WINDOW, LSTMATT_STRIDE, LSTMATT_WINDOWS_PER_SEQUENCE = 300, 50, 4


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def make_model(name: str, *, seed: int, threads: int | None, median_length: int, quick: bool):
    """The estimator called ``name`` (see the module docstring)."""
    if name == "length":
        return feature_baseline(SequenceLength())
    if name == "lstmatt-crop":
        model = build_model("lstmatt", preset="full", seed=seed, threads=threads, length=median_length)
    elif name == "lstmatt-windows":
        model = build_model("lstmatt", preset="full", seed=seed, threads=threads, length=LSTMATT_WINDOW)
        model.set_params(long_inputs="windows", stride=LSTMATT_STRIDE,
                         train_windows_per_sequence=LSTMATT_WINDOWS_PER_SEQUENCE)
    else:
        model = build_model(name, preset="full", seed=seed, threads=threads)
    if quick and "max_epochs" in model.get_params():
        model.set_params(max_epochs=2)
    return model


def positive_scores(model, X) -> np.ndarray:
    return model.predict_proba(X)[:, 1]


def scores_with_ci(y, s, seed: int) -> dict:
    auroc = bootstrap_ci(y, s, roc_auc_score, random_state=seed)
    auprc = bootstrap_ci(y, s, average_precision_score, random_state=seed)
    return {"auroc": auroc, "auprc": auprc}


def fmt_ci(t) -> str:
    return f"{t[0]:.3f} ({t[1]:.3f}-{t[2]:.3f})"


def run_test(names, train, test, args, median_length) -> list[dict]:
    rows = []
    for name in names:
        model = make_model(name, seed=args.seed, threads=args.threads, median_length=median_length, quick=args.quick)
        rows.append(fit_score(name, model, train, test, args))
    for name in args.ensemble_models if args.ensemble > 1 else []:
        member = make_model(name, seed=args.seed, threads=args.threads, median_length=median_length,
                            quick=args.quick)
        model = SeedEnsembleClassifier(member, n_estimators=args.ensemble, random_state=args.seed, verbose=0)
        rows.append(fit_score(f"{name} x{args.ensemble} seeds", model, train, test, args))
    return rows


def fit_score(name, model, train, test, args) -> dict:
    log(f"test: fitting {name} on {len(train.data)} sequences")
    t0 = time.perf_counter()
    model.fit(train.data, train.target)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    s = positive_scores(model, test.data)
    predict_s = time.perf_counter() - t0
    row = {"model": name, **scores_with_ci(test.target, s, args.seed), "fit_s": fit_s, "predict_s": predict_s}
    history = getattr(model, "history_", None)
    if history is not None and len(history):
        row["epochs"] = len(history)
    log(f"test: {name}: AUROC {fmt_ci(row['auroc'])}, AUPRC {fmt_ci(row['auprc'])}, "
        f"fit {fit_s:.0f} s, predict {predict_s:.1f} s")
    return row


def run_cv(names, train, args, median_length) -> list[dict]:
    folds = list(GroupKFold(n_splits=args.folds).split(train.data, train.target, train.groups))
    rows = []
    for name in names:
        oof = np.empty(len(train.data))
        fold_auc, seconds = [], []
        for k, (tr, va) in enumerate(folds, 1):
            model = make_model(name, seed=args.seed, threads=args.threads, median_length=median_length,
                               quick=args.quick)
            log(f"cv: {name} fold {k}/{len(folds)} ({len(tr)} / {len(va)} sequences)")
            t0 = time.perf_counter()
            model.fit(train.data[tr], train.target[tr])
            oof[va] = positive_scores(model, train.data[va])
            seconds.append(time.perf_counter() - t0)
            fold_auc.append(roc_auc_score(train.target[va], oof[va]))
        row = {"model": name, **scores_with_ci(train.target, oof, args.seed),
               "fold_auroc_mean": float(np.mean(fold_auc)), "fold_auroc_std": float(np.std(fold_auc, ddof=1)),
               "seconds_per_fold": float(np.mean(seconds))}
        log(f"cv: {name}: pooled AUROC {fmt_ci(row['auroc'])}, folds {row['fold_auroc_mean']:.3f} "
            f"+- {row['fold_auroc_std']:.3f}")
        rows.append(row)
    return rows


def run_tissues(train, test, args, median_length) -> list[dict]:
    from collections import Counter

    counts = Counter(t for ts in train.tissues[train.target == 1] for t in ts)
    names = [t for t, _ in counts.most_common(args.tissues)]
    tr, te = train.target == 1, test.target == 1
    rows = []
    for tissue in names:
        y_tr = np.array([tissue in ts for ts in train.tissues[tr]], dtype=int)
        y_te = np.array([tissue in ts for ts in test.tissues[te]], dtype=int)
        row = {"tissue": tissue, "train": f"{y_tr.sum()}/{len(y_tr)}", "test": f"{y_te.sum()}/{len(y_te)}"}
        for name in args.tissue_models:
            model = make_model(name, seed=args.seed, threads=args.threads, median_length=median_length,
                               quick=args.quick)
            model.fit(train.data[tr], y_tr)
            row[name] = bootstrap_ci(y_te, positive_scores(model, test.data[te]), roc_auc_score, random_state=args.seed)
        log(f"tissues: {tissue}: " + ", ".join(f"{n} {fmt_ci(row[n])}" for n in args.tissue_models))
        rows.append(row)
    return rows


def print_tables(result: dict) -> None:
    """The result tables as Markdown (through the project's ``format_table``)."""
    if result.get("test"):
        print("\n### Test (chr1 + chr2)\n")
        print(format_table([{"model": r["model"], "AUROC (95% CI)": fmt_ci(r["auroc"]),
                             "AUPRC (95% CI)": fmt_ci(r["auprc"]), "fit (s)": f"{r['fit_s']:.0f}",
                             "predict (s)": f"{r['predict_s']:.1f}"} for r in result["test"]]))
    if result.get("cv"):
        print(f"\n### {result['folds']}-fold chromosome-grouped CV on the training part\n")
        print(format_table([{"model": r["model"], "pooled AUROC (95% CI)": fmt_ci(r["auroc"]),
                             "pooled AUPRC (95% CI)": fmt_ci(r["auprc"]),
                             "AUROC per fold": (r["fold_auroc_mean"], r["fold_auroc_std"]),
                             "s per fold": f"{r['seconds_per_fold']:.0f}"} for r in result["cv"]]))
    if result.get("tissues"):
        print("\n### Which tissue (positive elements; test AUROC, 95% CI)\n")
        print(format_table([{"tissue": r["tissue"], "train (with / all)": r["train"], "test (with / all)": r["test"],
                             **{k: fmt_ci(v) for k, v in r.items() if k not in ("tissue", "train", "test")}}
                            for r in result["tissues"]], index_name="tissue"))


def subsample(bunch, n: int, seed: int):
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(bunch.data), size=min(n, len(bunch.data)), replace=False))
    return type(bunch)(**{k: (v[idx] if isinstance(v, np.ndarray) and len(v) == len(bunch.data) else v)
                          for k, v in bunch.items()})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=None, help="default: GALAXY_SLOTS or all CPUs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", nargs="+", default=["test", "cv", "tissues"], choices=["test", "cv", "tissues"])
    parser.add_argument("--tissues", type=int, default=6, help="most frequent tissues of the tissue part")
    parser.add_argument("--tissue-models", nargs="+", default=["gc", "length", "kmer"], choices=MODELS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--cv-models", nargs="+", default=None, choices=MODELS, help="default: --models")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--ensemble", type=int, default=3, help="seed-ensemble size (1: none)")
    parser.add_argument("--ensemble-models", nargs="*", default=["deepenhancer"], choices=MODELS)
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="subsample, 2 folds, 2 epochs: a smoke run")
    args = parser.parse_args(argv)

    machine = machine_info()
    print(machine)
    train, test = load_vista("train"), load_vista("test")
    if args.quick:
        train, test, args.folds = subsample(train, 300, args.seed), subsample(test, 150, args.seed), 2
    median_length = int(np.median([len(s) for s in train.data]))
    print(f"VISTA: {len(train.data)} train ({int(train.target.sum())} positive), {len(test.data)} test "
          f"({int(test.target.sum())} positive); median training length {median_length} bp")
    result: dict = {"machine": machine, "args": {k: str(v) for k, v in vars(args).items()},
                    "median_length": median_length, "folds": args.folds}
    if "cv" in args.parts:
        result["cv"] = run_cv(args.cv_models or args.models, train, args, median_length)
    if "test" in args.parts:
        result["test"] = run_test(args.models, train, test, args, median_length)
    if "tissues" in args.parts:
        result["tissues"] = run_tissues(train, test, args, median_length)
    print_tables(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
